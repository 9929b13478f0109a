// SPDX-License-Identifier: Apache-2.0
namespace Updater.Trust;

/// <summary>
/// What a key may sign. A key counts only for the roles that list it: a channel key, which signs every week on a
/// CI host, can never sign a bundle (root code on the fleet) or a new root.
/// </summary>
internal enum TrustRole
{
    Root,
    Bundle,
    Channel,
}

internal static class TrustRoles
{
    public static IReadOnlyList<TrustRole> All { get; } = [TrustRole.Root, TrustRole.Bundle, TrustRole.Channel];

    public static string Name(this TrustRole role) => role switch
    {
        TrustRole.Root => "root",
        TrustRole.Bundle => "bundle",
        TrustRole.Channel => "channel",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string text, out TrustRole role)
    {
        foreach (var r in All)
        {
            if (r.Name() == text)
            {
                role = r;
                return true;
            }
        }
        role = default;
        return false;
    }
}
