// SPDX-License-Identifier: Apache-2.0
namespace Updater.Config;

/// <summary>A malformed configuration: the message starts with "file:line:" and names the key.</summary>
internal sealed class ConfigException : UpdaterException
{
    public ConfigException(string message)
        : base(ExitCode.Config, message)
    {
    }
}
