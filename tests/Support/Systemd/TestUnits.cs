// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>The units put into the container, one per state a unit check must judge.</summary>
public static class TestUnits
{
    /// <summary>A long-running service: active (running).</summary>
    public const string Active = "hc-active.service";

    /// <summary>A service whose process exits 3 right away: failed (exit-code, status 3).</summary>
    public const string Failed = "hc-failed.service";

    /// <summary>A oneshot that ran and exited 0: inactive (dead) with result success. Enabled, so systemd keeps it.</summary>
    public const string OneshotDone = "hc-oneshot-done.service";

    /// <summary>A oneshot that exited 0 with RemainAfterExit=yes: active (exited).</summary>
    public const string OneshotRemains = "hc-oneshot-remains.service";

    /// <summary>A oneshot nobody started: inactive (dead), never ran.</summary>
    public const string OneshotNeverRun = "hc-oneshot-never.service";

    /// <summary>A oneshot whose ExecStart= sleeps for ten minutes: activating (start).</summary>
    public const string ActivatingOneshot = "hc-activating-oneshot.service";

    /// <summary>A Type=notify service that never sends READY=1: activating (start).</summary>
    public const string ActivatingNotify = "hc-activating-notify.service";

    /// <summary>A service the tests start themselves while a check is retrying.</summary>
    public const string StartedLater = "hc-started-later.service";

    /// <summary>A name no unit file has: not-found.</summary>
    public const string Missing = "hc-missing.service";

    public static IReadOnlyDictionary<string, string> Files { get; } = new Dictionary<string, string>
    {
        [Active] = """
            [Service]
            ExecStart=/bin/sleep infinity
            [Install]
            WantedBy=multi-user.target
            """,
        [Failed] = """
            [Service]
            ExecStart=/bin/sh -c 'exit 3'
            """,
        [OneshotDone] = """
            [Service]
            Type=oneshot
            ExecStart=/bin/true
            [Install]
            WantedBy=multi-user.target
            """,
        [OneshotRemains] = """
            [Service]
            Type=oneshot
            RemainAfterExit=yes
            ExecStart=/bin/true
            """,
        [OneshotNeverRun] = """
            [Service]
            Type=oneshot
            ExecStart=/bin/true
            """,
        [ActivatingOneshot] = """
            [Service]
            Type=oneshot
            ExecStart=/bin/sleep 600
            TimeoutStartSec=infinity
            """,
        [ActivatingNotify] = """
            [Service]
            Type=notify
            ExecStart=/bin/sleep 600
            TimeoutStartSec=infinity
            """,
        [StartedLater] = """
            [Service]
            ExecStart=/bin/sleep infinity
            """,
    };
}
