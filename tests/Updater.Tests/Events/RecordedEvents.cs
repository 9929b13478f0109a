// SPDX-License-Identifier: Apache-2.0
using Updater.Events;

namespace Updater.Tests.Events;

/// <summary>The events the core emitted, in order: a fake of the updater's own sink, for tests about which events and fields.</summary>
internal sealed class RecordedEvents : IUpdateEvents
{
    public List<UpdateEvent> All { get; } = [];

    public IEnumerable<string> Names => All.Select(e => e.Type.Name);

    public void Emit(UpdateEvent update) => All.Add(update);

    public UpdateEvent Single(UpdateEventType type) => Assert.Single(All, e => e.Type == type);
}
