// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Parsing;

/// <summary>
/// A health check definition that cannot be used. The message names the file, the line and, where one is to
/// blame, the key, so that the operator can go straight to it: <c>/etc/updater/health.d/10-net.conf:12: key
/// 'timeout': ...</c>. An <see cref="IniFormatException"/> with the same parts, so that one catch serves the
/// lexer's errors and the checks'.
/// </summary>
public sealed class HealthCheckConfigException(string file, int line, string? key, string problem)
    : IniFormatException(file, line, key, problem);
