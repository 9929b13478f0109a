// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using Updater.Config;

namespace Updater.Cli;

/// <summary>Options every device-side command takes.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Config = new("--config", "-c")
    {
        Description = "update.conf to use",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("UPDATER_CONFIG") ?? UpdaterConfig.DefaultPath,
        Recursive = true,
    };

    public static readonly Option<string?> BootedSlot = new("--booted-slot")
    {
        Description = "Take this bootname as the booted slot instead of detecting it (tests, rescue systems)",
        Recursive = true,
    };
}
