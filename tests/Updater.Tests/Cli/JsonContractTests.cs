// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Updater.Cli;
using Updater.Cli.Output;
using Updater.Fleet;
using Updater.Tests.Support;
using Updater.Verdict;

namespace Updater.Tests.Cli;

/// <summary>
/// The JSON contract of docs/json.md: every report command's `--json` names its schema first; the documented
/// fields of each schema are exactly the fields its type can write; every example is real output; and
/// `--output-format shell` is safe to eval whatever the strings hold.
/// </summary>
public sealed partial class JsonContractTests : IDisposable
{
    private readonly TestDevice _box = new(slotSize: 2 << 20);

    public void Dispose() => _box.Dispose();

    /// <summary>Which type writes each schema: the test's own list, so a schema without a type (or a type change) shows.</summary>
    private static readonly Dictionary<string, JsonTypeInfo> SchemaTypes = new(StringComparer.Ordinal)
    {
        [JsonSchemas.Install] = CliJsonContext.Default.InstallResult,
        [JsonSchemas.Status] = CliJsonContext.Default.StatusReport,
        [JsonSchemas.Check] = CliJsonContext.Default.CheckReport,
        [JsonSchemas.CheckInstall] = CliJsonContext.Default.CheckInstallReport,
        [JsonSchemas.Verdict] = VerdictJsonContext.Default.VerdictOutcome,
        [JsonSchemas.CommitSkipped] = CliJsonContext.Default.CommitSkipped,
        [JsonSchemas.SlotChange] = CliJsonContext.Default.SlotChange,
        [JsonSchemas.BundleInfo] = CliJsonContext.Default.BundleInfoReport,
    };

    private static string DocsPath => Path.Combine(RepositoryPaths.Root, "docs", "json.md");

    public static TheoryData<string> Schemas() => [.. JsonSchemas.All];

    [Theory]
    [MemberData(nameof(Schemas))]
    public void The_documented_fields_are_exactly_those_the_type_writes(string schema)
    {
        var documented = DocumentedSchemas()[schema].Fields;
        var written = TypePaths(SchemaTypes[schema]);
        var undocumented = written.Except(documented).Order(StringComparer.Ordinal).ToList();
        var unwritten = documented.Except(written).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0 && unwritten.Count == 0,
            $"{schema}: written but not in docs/json.md: [{string.Join(", ", undocumented)}]; in docs/json.md but never written: [{string.Join(", ", unwritten)}]");
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void The_example_names_its_schema_and_only_documented_fields(string schema)
    {
        var section = DocumentedSchemas()[schema];
        Assert.False(section.Example is null, $"{schema}: docs/json.md has no ```json example");
        using var example = JsonDocument.Parse(section.Example!);
        Assert.Equal("schema", FirstProperty(example.RootElement));
        Assert.Equal(schema, example.RootElement.GetProperty("schema").GetString());
        var stray = DocumentPaths(example.RootElement, section.Fields).Except(section.Fields).ToList();
        Assert.True(stray.Count == 0, $"{schema}: the example has fields the table does not: [{string.Join(", ", stray)}]");
    }

    [Fact]
    public void Every_schema_of_docs_json_md_is_one_the_cli_prints()
    {
        Assert.Equal(JsonSchemas.All.Order(StringComparer.Ordinal), DocumentedSchemas().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(JsonSchemas.All.Order(StringComparer.Ordinal), SchemaTypes.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_report_command_prints_its_schema_first_and_only_documented_fields()
    {
        var docs = DocumentedSchemas();
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 61), version: "2.0.0");
        var env = new GrubEnvFile(_box.GrubEnv);

        async Task<JsonElement> Json(string schema, int exitCode, params string[] args)
        {
            var result = await UpdaterProcess.ExpectAsync(exitCode, ["--config", _box.ConfigPath, .. args]);
            using var document = JsonDocument.Parse(result.Stdout);
            var root = document.RootElement.Clone();
            Assert.Equal("schema", FirstProperty(root));
            Assert.Equal(schema, root.GetProperty("schema").GetString());
            var stray = DocumentPaths(root, docs[schema].Fields).Except(docs[schema].Fields).ToList();
            Assert.True(stray.Count == 0, $"updater {string.Join(' ', args)}: fields docs/json.md does not name: [{string.Join(", ", stray)}]");
            return root;
        }

        var info = await Json(JsonSchemas.BundleInfo, 0, "bundle", "info", "--json", bundle);
        Assert.Equal("2.0.0", info.GetProperty("manifest").GetProperty("version").GetString());
        var before = await Json(JsonSchemas.Status, 0, "status", "--json");
        Assert.Equal("A", before.GetProperty("booted_slot").GetString());
        var installed = await Json(JsonSchemas.Install, 0, "install", "--json", bundle);
        Assert.Equal("B", installed.GetProperty("target_bootname").GetString());

        // The trial boot, as dist/grub.cfg counts it; no health checks configured, so the verdict passes.
        env.Set("B_TRY=1");
        var verdict = await Json(JsonSchemas.Verdict, 0, "--booted-slot", "B", "health", "--json");
        Assert.Equal("committed", verdict.GetProperty("action").GetString());
        Assert.True(verdict.GetProperty("report").GetProperty("duration_seconds").GetDouble() >= 0);
        var skipped = await Json(JsonSchemas.CommitSkipped, 0, "--booted-slot", "B", "commit", "--json");
        Assert.Equal("B", skipped.GetProperty("booted_slot").GetString());
        var good = await Json(JsonSchemas.SlotChange, 0, "--booted-slot", "B", "mark-good", "--output-format", "json");
        Assert.Equal("mark-good", good.GetProperty("action").GetString());
        var rolledBack = await Json(JsonSchemas.SlotChange, 0, "--booted-slot", "B", "rollback", "--json");
        Assert.Equal("A", rolledBack.GetProperty("next_boot").GetString());
        var after = await Json(JsonSchemas.Status, 0, "--booted-slot", "B", "status", "--json");
        Assert.Equal("A", after.GetProperty("next_boot").GetString());

        // A channel whose rollout has not started: check says why; check --install polls once and does nothing.
        string channel = _box.Path("stable.channel");
        var future = DateTimeOffset.UtcNow.AddDays(10);
        File.WriteAllBytes(channel, TestChannels.Sign(TestChannels.Document(version: 1, issued: DateTimeOffset.UtcNow.AddDays(-1),
            expires: DateTimeOffset.UtcNow.AddDays(30), waves: [new RolloutWave(100, future)]), _box.Key));
        _box.AppendConfig($"[channel]\nname = stable\nurl = {channel}\nmachine-id-file = {_box.MachineIdFile}\n");
        var check = await Json(JsonSchemas.Check, 0, "--booted-slot", "B", "check", "--json");
        Assert.Equal("2.1.0", check.GetProperty("release_version").GetString());
        var poll = await Json(JsonSchemas.CheckInstall, 0, "--booted-slot", "B", "check", "--install", "--json");
        Assert.Equal("nothing-to-do", poll.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Shell_output_evaluates_to_the_escaped_values_and_runs_nothing_it_holds()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 62), version: "2.0.0");
        // A file name is input like any other: a quote, a command substitution, a newline and an escape. The
        // substitution, if it ever ran, would leave "ran" in the directory the shell runs in.
        string hostile = _box.Path("it's $(touch ran)\n\u001b[31m`touch ran`.bundle");
        File.Copy(bundle, hostile);

        var shell = await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "bundle", "info", "--output-format", "shell", hostile);
        foreach (string line in shell.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(AssignmentLine(), line);
        }
        var json = await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "bundle", "info", "--json", hostile);
        Assert.DoesNotContain('\u001b', json.Stdout);
        Assert.Equal(hostile, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("file").GetString());

        string script = _box.Path("eval.sh");
        File.WriteAllText(script, shell.Stdout);
        var start = ProcessRunner.StartInfo("bash", "-c",
            "set -eu; eval \"$(cat \"$1\")\"; printf '%s|%s|%s|%s' \"$UPDATER_SCHEMA\" \"$UPDATER_FILE\" \"$UPDATER_MANIFEST_VERSION\" \"$UPDATER_MANIFEST_IMAGES_COUNT\"",
            "eval", script);
        start.WorkingDirectory = _box.Root;
        var evaluated = await ProcessRunner.RunAsync(start);
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.False(File.Exists(_box.Path("ran")), "eval ran a command substitution from a file name");
        Assert.Equal($"{JsonSchemas.BundleInfo}|{Updater.Text.SafeText.Escape(hostile)}|2.0.0|1", evaluated.Stdout);
    }

    [Fact]
    public async Task Json_and_another_output_format_at_once_is_a_usage_error_before_anything_changes()
    {
        string bundle = await _box.MakeBundleAsync("v2.bundle", _box.MakeImage("v2.img", 1 << 20, seed: 63), version: "2.0.0");
        await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "install", bundle);
        byte[] env = File.ReadAllBytes(_box.GrubEnv);

        // A rollback would change the bootloader; the disagreement must stop it first.
        var result = await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "--config", _box.ConfigPath, "rollback", "--json", "--output-format", "shell");
        Assert.Contains("--json and --output-format shell disagree", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Equal(env, File.ReadAllBytes(_box.GrubEnv));
        await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "--config", _box.ConfigPath, "status", "--json", "--output", "text");
        await UpdaterProcess.ExpectAsync((int)ExitCode.Usage, "--config", _box.ConfigPath, "status", "--output-format", "yaml");
        await UpdaterProcess.ExpectAsync(0, "--config", _box.ConfigPath, "status", "--json", "--output-format", "json");
    }

    [GeneratedRegex(@"^UPDATER_[A-Z0-9_]+='([^']|'\\'')*'$")]
    private static partial Regex AssignmentLine();

    private static string? FirstProperty(JsonElement root) => root.EnumerateObject().Select(p => p.Name).FirstOrDefault();

    private sealed record DocumentedSchema(HashSet<string> Fields, string? Example);

    /// <summary>
    /// docs/json.md as the test reads it: a "## `updater.NAME/N`" heading per schema, a table whose rows start with
    /// the backticked field path (`a.b`, `list[].c`, `map.*` for a map's keys), and a ```json example.
    /// </summary>
    private static Dictionary<string, DocumentedSchema> DocumentedSchemas()
    {
        var schemas = new Dictionary<string, DocumentedSchema>(StringComparer.Ordinal);
        string? current = null;
        HashSet<string> fields = [];
        string? example = null;
        List<string>? exampleLines = null;
        void Close()
        {
            if (current is not null)
            {
                Assert.False(schemas.ContainsKey(current), $"docs/json.md names {current} twice");
                schemas[current] = new DocumentedSchema(fields, example);
            }
        }
        foreach (string line in File.ReadLines(DocsPath))
        {
            if (exampleLines is not null)
            {
                if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    example ??= string.Join('\n', exampleLines);
                    exampleLines = null;
                }
                else
                {
                    exampleLines.Add(line);
                }
                continue;
            }
            var heading = SchemaHeading().Match(line);
            if (heading.Success)
            {
                Close();
                current = heading.Groups[1].Value;
                fields = [];
                example = null;
            }
            else if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                Close();
                current = null;
            }
            else if (current is not null && FieldRow().Match(line) is { Success: true } row)
            {
                Assert.True(fields.Add(row.Groups[1].Value), $"docs/json.md: {current} names {row.Groups[1].Value} twice");
            }
            else if (current is not null && line.StartsWith("```json", StringComparison.Ordinal))
            {
                exampleLines = [];
            }
        }
        Close();
        return schemas;
    }

    [GeneratedRegex(@"^## `(updater\.[a-z-]+/[0-9]+)`")]
    private static partial Regex SchemaHeading();

    [GeneratedRegex(@"^\| `([a-z0-9_.\[\]*]+)` \|")]
    private static partial Regex FieldRow();

    /// <summary>Every field path a type can write, with `schema` first as ReportWriter adds it.</summary>
    private static HashSet<string> TypePaths(JsonTypeInfo type)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal) { "schema" };
        AddTypePaths(paths, type, "", []);
        return paths;
    }

    private static void AddTypePaths(HashSet<string> paths, JsonTypeInfo type, string prefix, HashSet<Type> open)
    {
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when open.Add(type.Type):
                // A [JsonIgnore] property stays in the list of a source-generated type, with no getter.
                foreach (var property in type.Properties.Where(p => p.Get is not null))
                {
                    string path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
                    paths.Add(path);
                    AddTypePaths(paths, type.Options.GetTypeInfo(property.PropertyType), path, open);
                }
                open.Remove(type.Type);
                break;
            case JsonTypeInfoKind.Enumerable:
                AddTypePaths(paths, type.Options.GetTypeInfo(type.ElementType!), prefix + "[]", open);
                break;
            case JsonTypeInfoKind.Dictionary:
                paths.Add(prefix + ".*");
                break;
        }
    }

    /// <summary>
    /// Every field path of a JSON value, in the notation of docs/json.md. The keys of a map (a path that
    /// <paramref name="fields"/> names with `.*`) are data, not fields, and show as `.*`.
    /// </summary>
    private static HashSet<string> DocumentPaths(JsonElement root, HashSet<string> fields)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        AddDocumentPaths(paths, root, "", fields);
        return paths;
    }

    private static void AddDocumentPaths(HashSet<string> paths, JsonElement value, string prefix, HashSet<string> fields)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var field in value.EnumerateObject())
                {
                    string path = prefix.Length == 0 ? field.Name : $"{prefix}.{field.Name}";
                    paths.Add(path);
                    if (fields.Contains(path + ".*"))
                    {
                        paths.Add(path + ".*");
                        continue;
                    }
                    AddDocumentPaths(paths, field.Value, path, fields);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    AddDocumentPaths(paths, item, prefix + "[]", fields);
                }
                break;
        }
    }
}
