// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;

namespace HealthCheck.Checks;

/// <summary>Asks systemd over D-Bus whether a unit is active, or a oneshot service has exited successfully.</summary>
internal sealed class SystemdUnitProbe(string unit, string busAddress) : IHealthProbe
{
    public async ValueTask<ProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        // A connection per attempt: a bus that was not up yet at the first attempt is simply tried again.
        SystemdManagerClient systemd;
        try
        {
            systemd = await SystemdManagerClient.ConnectAsync(busAddress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ProbeResult.Fail($"cannot reach systemd over D-Bus at {busAddress}: {e.Message}");
        }

        using var connected = systemd;
        try
        {
            var status = await systemd.GetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
            return status.Evaluate();
        }
        catch (DBusErrorReplyException e)
        {
            // systemd's own refusal, e.g. "Unit name x is not valid." under org.freedesktop.DBus.Error.InvalidArgs.
            return ProbeResult.Fail($"systemd refused to answer about {unit}: {e.ErrorMessage} ({e.ErrorName})");
        }
    }
}
