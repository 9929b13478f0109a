// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace TestSupport.Systemd;

/// <summary>
/// Boots one container for all tests of a test assembly's "systemd" collection (each assembly declares the
/// collection itself: xunit looks for collection definitions only in the test assembly) and brings every test unit into its state.
/// When the host cannot boot it (only possible here under CI=true, elsewhere the tests skip), it fails with the
/// reason instead of letting the tests pass untested.
/// </summary>
public sealed class SystemdContainerFixture : IAsyncLifetime
{
    private SystemdContainer? _container;

    public SystemdContainer Container =>
        _container ?? throw new InvalidOperationException("the systemd container is not running");

    public async Task InitializeAsync()
    {
        if (HostRequirements.SystemdContainerMissing() is { } missing)
        {
            if (!HostRequirements.InCi)
            {
                return; // every test of the collection is skipped with this reason (SystemdFactAttribute)
            }

            throw new InvalidOperationException(
                $"Tests against a real systemd cannot run under CI: {missing}.");
        }

        var machine = "updater-hc-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        _container = await SystemdContainer.BootAsync(HostRequirements.SystemdRoot, machine);

        foreach (var (name, text) in TestUnits.Files)
        {
            await File.WriteAllTextAsync(Path.Combine(_container.UnitDirectory, name), text + "\n");
        }

        await _container.RunAsync("systemctl", "daemon-reload");
        await _container.RunAsync("systemctl", "enable", TestUnits.Active, TestUnits.OneshotDone);
        await _container.RunAsync("systemctl", "start", TestUnits.Active, TestUnits.OneshotDone, TestUnits.OneshotRemains);
        // A simple service's start succeeds before its process exits; the failure follows.
        await _container.RunAsync("systemctl", "start", TestUnits.Failed);
        await _container.RunAsync("systemctl", "start", "--no-block", TestUnits.ActivatingOneshot, TestUnits.ActivatingNotify);

        await _container.WaitForActiveStateAsync(TestUnits.Active, "active");
        await _container.WaitForActiveStateAsync(TestUnits.Failed, "failed");
        await _container.WaitForActiveStateAsync(TestUnits.OneshotDone, "inactive");
        await _container.WaitForActiveStateAsync(TestUnits.OneshotRemains, "active");
        await _container.WaitForActiveStateAsync(TestUnits.ActivatingOneshot, "activating");
        await _container.WaitForActiveStateAsync(TestUnits.ActivatingNotify, "activating");
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
