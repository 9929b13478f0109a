// SPDX-License-Identifier: Apache-2.0
namespace Updater.Events;

/// <summary>
/// Where the core's events go: the journal when the process runs under systemd with its output in the journal,
/// nowhere otherwise (the command's own output says the same to a terminal). Emitting never fails an update.
/// </summary>
internal interface IUpdateEvents
{
    void Emit(UpdateEvent update);
}

/// <summary>No journal: events are dropped.</summary>
internal sealed class NoUpdateEvents : IUpdateEvents
{
    public static readonly NoUpdateEvents Instance = new();

    public void Emit(UpdateEvent update)
    {
    }
}
