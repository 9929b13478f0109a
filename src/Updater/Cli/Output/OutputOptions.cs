// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;

namespace Updater.Cli.Output;

/// <summary>
/// The output options of every command that prints a report: <c>--output-format text|json|shell</c> (also
/// spelled <c>--output</c>, as RAUC's <c>--output-format</c> and the issue tracker's users know it) and
/// <c>--json</c>, kept as the short form of <c>--output-format json</c>.
/// </summary>
internal sealed class OutputOptions
{
    private readonly Option<bool> _json = new("--json") { Description = "Machine-readable output on stdout (docs/json.md); the same as --output-format json" };

    private readonly Option<string?> _format = new("--output-format", "--output")
    {
        Description = "text (the default), json (docs/json.md), or shell (NAME='value' lines for eval)",
    };

    public OutputOptions()
    {
        _format.AcceptOnlyFromAmong("text", "json", "shell");
    }

    /// <summary>
    /// Adds both options, and refuses a disagreement between them when the line is parsed: before the command
    /// acts, so `rollback --json --output-format shell` changes nothing.
    /// </summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_json);
        command.Options.Add(_format);
        command.Validators.Add(result =>
        {
            // The raw word: GetValue throws on a word AcceptOnlyFromAmong refuses, which has its own error.
            string? named = result.GetResult(_format)?.Tokens.FirstOrDefault()?.Value;
            if (named is "text" or "json" or "shell" && Conflict(result.GetValue(_json), named) is { } conflict)
            {
                result.AddError(conflict);
            }
        });
    }

    private static string? Conflict(bool json, string? named) =>
        json && named is not null && named != "json" ? $"--json and --output-format {named} disagree: give one of them" : null;

    public OutputFormat Get(ParseResult parse)
    {
        string? named = parse.GetValue(_format);
        bool json = parse.GetValue(_json);
        if (Conflict(json, named) is { } conflict)
        {
            // Only when a command was built without AddTo's validator: a bug, not the operator's mistake.
            throw new InvalidOperationException(conflict);
        }
        return named switch
        {
            "json" => OutputFormat.Json,
            "shell" => OutputFormat.Shell,
            "text" => OutputFormat.Text,
            _ => json ? OutputFormat.Json : OutputFormat.Text,
        };
    }
}
