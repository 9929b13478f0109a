// SPDX-License-Identifier: Apache-2.0
namespace Updater.Install;

/// <summary>Progress of one install: bytes of the images done (written, or found already in place) out of the total.</summary>
internal readonly record struct InstallProgress(string Phase, long Done, long Total, long Written)
{
    /// <summary>The phase of a hook running within its deadline: progress although no byte moves.</summary>
    public const string HookPhase = "hook";
}
