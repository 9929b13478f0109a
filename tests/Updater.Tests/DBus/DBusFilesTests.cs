// SPDX-License-Identifier: Apache-2.0
using System.Xml.Linq;
using Updater.DBus;
using TestSupport;

namespace Updater.Tests.DBus;

/// <summary>
/// The shipped D-Bus files agree with the code and each other: one bus name everywhere, the activation file
/// starts the unit that owns it, the unit runs in the agent's sandbox line for line, and the policy is well
/// formed with its allow rules for reading only.
/// </summary>
public sealed class DBusFilesTests
{
    private static string Dist(string relative) => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "dist", relative));

    [Fact]
    public void The_unit_the_activation_file_and_the_policy_name_the_codes_bus_name()
    {
        string unit = Dist("updater-dbus.service");
        Assert.Contains($"BusName={UpdaterBus.BusName}\n", unit, StringComparison.Ordinal);
        Assert.Contains("Type=dbus\n", unit, StringComparison.Ordinal);
        string activation = Dist($"dbus-1/system-services/{UpdaterBus.BusName}.service");
        Assert.Contains($"Name={UpdaterBus.BusName}\n", activation, StringComparison.Ordinal);
        Assert.Contains("SystemdService=updater-dbus.service\n", activation, StringComparison.Ordinal);

        var policy = XDocument.Parse(Dist($"dbus-1/system.d/{UpdaterBus.BusName}.conf"));
        var rules = policy.Descendants().Where(e => e.Name == "allow" || e.Name == "deny").ToList();
        Assert.All(rules.Select(r => (string?)r.Attribute("own") ?? (string?)r.Attribute("send_destination")), name => Assert.Equal(UpdaterBus.BusName, name));
        var own = Assert.Single(rules, r => r.Attribute("own") is not null);
        Assert.Equal("root", (string?)own.Parent!.Attribute("user"));
        // What anyone may call: reading only.
        var open = policy.Descendants("policy").Single(p => (string?)p.Attribute("context") == "default").Elements("allow")
            .Select(r => ((string?)r.Attribute("send_interface"), (string?)r.Attribute("send_member"))).ToList();
        Assert.All(open, r => Assert.True(r.Item2 is "GetStatus" or "Get" or "GetAll" || r.Item1 is "org.freedesktop.DBus.Introspectable" or "org.freedesktop.DBus.Peer", $"{r} is open to anyone"));
    }

    [Fact]
    public void The_D_Bus_unit_has_the_agents_sandbox_line_for_line()
    {
        static string Hardening(string unit) => unit[unit.IndexOf("# --- Hardening", StringComparison.Ordinal)..].Split("[Install]")[0].TrimEnd();
        Assert.Equal(Hardening(Dist("updater.service")), Hardening(Dist("updater-dbus.service")));
    }

    [Fact]
    public void The_documented_interface_is_the_codes_interface()
    {
        var node = XDocument.Load(Path.Combine(RepositoryPaths.Root, "docs", "dbus", $"{UpdaterBus.Interface}.xml"));
        Assert.Equal(UpdaterBus.ObjectPath, (string?)node.Root!.Attribute("name"));
        var iface = Assert.Single(node.Root.Elements("interface"));
        Assert.Equal(UpdaterBus.Interface, (string?)iface.Attribute("name"));
    }
}
