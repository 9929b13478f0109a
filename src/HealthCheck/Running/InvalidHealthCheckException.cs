// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Running;

/// <summary>
/// A definition handed to the runner cannot be run (no name, an out-of-range timeout, a duplicate name...). Its
/// own type so a caller can turn exactly this into a configuration error, and let any other argument error
/// surface as the bug it is.
/// </summary>
public sealed class InvalidHealthCheckException : ArgumentException
{
    public InvalidHealthCheckException(string message, string paramName)
        : base(message, paramName)
    {
    }
}
