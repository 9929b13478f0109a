// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;

namespace HealthCheck.Tests.Parsing;

public sealed class DropInDirectoryTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("health.d-");

    [Fact]
    public async Task Conf_files_load_in_lexical_order_and_nothing_else_loads()
    {
        await WriteAsync("20-web.conf", "[check.web]\ntype = http\nurl = http://127.0.0.1/\n");
        await WriteAsync("10-net.conf", "[check.net]\ntype = systemd-unit\nunit = systemd-networkd\n[check.dns]\ntype = command\ncommand = true\n");
        await WriteAsync("9-late.conf", "[check.late]\ntype = mount\npath = /\n");
        await WriteAsync("10-net.conf.disabled", "[check.off]\ntype = mount\npath = /\n");
        await WriteAsync("README", "not INI at all");
        Directory.CreateDirectory(Path.Combine(_directory.FullName, "sub.conf"));

        var checks = await HealthCheckParser.LoadDirectoryAsync(_directory.FullName);

        // Ordinal order, as systemd sorts drop-ins: "10-" < "20-" < "9-".
        Assert.Equal(["net", "dns", "web", "late"], checks.Select(check => check.Name));
        Assert.Equal(Path.Combine(_directory.FullName, "10-net.conf") + ":4", checks[1].Source);
    }

    [Fact]
    public async Task A_name_defined_in_two_files_is_an_error_naming_both()
    {
        await WriteAsync("10-a.conf", "[check.net]\ntype = mount\npath = /\n");
        await WriteAsync("20-b.conf", "\n[check.net]\ntype = mount\npath = /data\n");

        var error = await Assert.ThrowsAsync<HealthCheckConfigException>(() => HealthCheckParser.LoadDirectoryAsync(_directory.FullName));

        Assert.Equal(Path.Combine(_directory.FullName, "20-b.conf"), error.File);
        Assert.Equal(2, error.Line);
        Assert.Contains($"already defined at {Path.Combine(_directory.FullName, "10-a.conf")}:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_in_a_drop_in_names_that_file()
    {
        await WriteAsync("10-a.conf", "[check.a]\ntype = mount\npath = /\n");
        await WriteAsync("20-b.conf", "[check.b]\ntype = mount\npath = /\ntimout = 3s\n");

        var error = await Assert.ThrowsAsync<HealthCheckConfigException>(() => HealthCheckParser.LoadDirectoryAsync(_directory.FullName));

        Assert.Equal($"{Path.Combine(_directory.FullName, "20-b.conf")}:4: key 'timout': unknown key " +
                     "(known: type, unit, command, url, path, required, timeout, retries, retry-delay, status)", error.Message);
    }

    [Fact]
    public async Task A_missing_directory_holds_no_checks()
    {
        Assert.Empty(await HealthCheckParser.LoadDirectoryAsync(Path.Combine(_directory.FullName, "absent")));
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private Task WriteAsync(string name, string text) => File.WriteAllTextAsync(Path.Combine(_directory.FullName, name), text);
}
