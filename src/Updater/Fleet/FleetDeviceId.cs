// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;

namespace Updater.Fleet;

/// <summary>
/// The id this device is known by to the fleet: its rollout bucket and its reports. Never the raw machine id,
/// which machine-id(5) says must not leave the machine, but the application-specific id systemd derives for
/// an application, exactly as sd_id128_get_machine_app_specific() and `systemd-id128 machine-id
/// --app-specific=` do: HMAC-SHA256 keyed by the machine id over <see cref="ApplicationId"/>, the first 16
/// bytes, marked as a version 4 UUID. Stable per device, unlinkable across applications.
/// </summary>
internal static class FleetDeviceId
{
    /// <summary>This project's application id (made once with `systemd-id128 new`).</summary>
    public const string ApplicationId = "534b5ac7322945eaa55bacf7a72024bd";

    /// <summary>Reads the machine id and derives the fleet id; a missing, uninitialized or malformed id is a clear configuration error.</summary>
    public static string Read(string machineIdFile) => Of(MachineId.Read(machineIdFile), machineIdFile);

    public static string Of(string machineId, string source)
    {
        if (machineId == "uninitialized")
        {
            // systemd writes this on first boot until the id is committed: a fleet id from it would be shared.
            throw new UpdaterException(ExitCode.Config, $"{source}: the machine id is 'uninitialized' (the first boot has not committed one yet): no fleet identity until it has; see docs/channel-format.md, \"Device identity\" ([channel] machine-id-file)");
        }
        if (machineId.Length != 32 || !machineId.All(char.IsAsciiHexDigitLower) || machineId.All(c => c == '0'))
        {
            throw new UpdaterException(ExitCode.Config, $"{source}: not a machine id (32 lowercase hexadecimal digits, not all zero, as machine-id(5) says) ([channel] machine-id-file)");
        }
        byte[] key = Convert.FromHexString(machineId);
        byte[] id = HMACSHA256.HashData(key, Convert.FromHexString(ApplicationId)).AsSpan(0, 16).ToArray();
        // Version 4, variant 1: what sd_id128_make_v4_uuid() does to the digest.
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return Convert.ToHexStringLower(id);
    }
}
