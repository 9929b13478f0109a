// SPDX-License-Identifier: Apache-2.0
namespace Updater.Cli.Output;

/// <summary>How a report command prints its result: lines for people, JSON (docs/json.md) or shell assignments.</summary>
internal enum OutputFormat
{
    Text,
    Json,
    Shell,
}
