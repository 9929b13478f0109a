// SPDX-License-Identifier: Apache-2.0
namespace Updater.Bundles;

/// <summary>A bundle that is malformed, truncated, tampered with or not for this device. Names the byte offset or field.</summary>
internal sealed class BundleFormatException : UpdaterException
{
    public BundleFormatException(string message)
        : base(ExitCode.BadInput, message)
    {
    }
}
