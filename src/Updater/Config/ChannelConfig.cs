// SPDX-License-Identifier: Apache-2.0
using HealthCheck.Parsing;

namespace Updater.Config;

/// <summary>
/// update.conf <c>[channel]</c>: where the device learns about releases and how the daemon behaves.
/// Every key is documented in docs/channel-format.md.
/// </summary>
internal sealed record ChannelConfig
{
    /// <summary>systemd's machine id: what a device's rollout bucket is computed from unless machine-id-file says otherwise.</summary>
    public const string DefaultMachineIdFile = "/etc/machine-id";

    /// <summary>
    /// The channel this device follows ("stable"): a channel file naming another is refused, and the device keeps its
    /// floors per name (Fleet.ChannelRules.IsName).
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The signed channel file: an http(s) URL or an absolute path.</summary>
    public required string Url { get; init; }

    public string? Group { get; init; }

    public required string MachineIdFile { get; init; }

    public required TimeSpan PollInterval { get; init; }

    public required TimeSpan PollJitter { get; init; }

    public string? ReportUrl { get; init; }

    public required bool AutoReboot { get; init; }

    public RebootWindow? RebootWindow { get; init; }

    public required TimeSpan HttpTimeout { get; init; }

    public required int HttpAttempts { get; init; }

    public required TimeSpan HttpDeadline { get; init; }

    /// <summary>The whole bundle transfer (open, every range, retries and resumes): progress never extends it.</summary>
    public required TimeSpan HttpBundleDeadline { get; init; }

    /// <summary>Bytes per second a transfer must keep up over <see cref="HttpMinRateTime"/>; 0: no rate rule.</summary>
    public required long HttpMinRate { get; init; }

    public required TimeSpan HttpMinRateTime { get; init; }

    /// <summary>Origins other than the requested URL's that a GET may be redirected to (a CDN).</summary>
    public IReadOnlyList<Transport.Origin> HttpRedirectOrigins { get; init; } = [];

    /// <summary>ca-file, client-certificate, client-key and header-file, loaded; <see cref="ChannelIdentity.None"/> when none is set.</summary>
    public ChannelIdentity Identity { get; init; } = ChannelIdentity.None;

    public static ChannelConfig Read(IniSection section)
    {
        var reader = new SectionReader(section);
        string name = reader.Required("name");
        if (!Fleet.ChannelRules.IsName(name))
        {
            throw new ConfigException($"{reader.Entry("name")!.Where}: key 'name' is '{IniExcerpt.Of(name)}', expected {Fleet.ChannelRules.NameRule} (the channel's \"channel\" field, e.g. stable)");
        }
        string url = reader.Required("url");
        if (!Transport.SafeUrl.IsHttp(url) && !Path.IsPathRooted(url))
        {
            throw new ConfigException($"{reader.Entry("url")!.Where}: key 'url' must be an http(s) URL or an absolute path, found '{IniExcerpt.Of(Transport.SafeUrl.Redact(url))}'");
        }
        if (Transport.SafeUrl.IsHttp(url) && !Transport.SafeUrl.TryParse(url, out _))
        {
            throw new ConfigException($"{reader.Entry("url")!.Where}: key 'url' is not a valid URL: '{IniExcerpt.Of(Transport.SafeUrl.Redact(url))}'");
        }
        if (reader.Entry("keyring") is { } keyring)
        {
            throw new ConfigException($"{keyring.Where}: key 'keyring' is gone: channel keys are the channel role of the trust root ([system] trust-root, docs/trust.md)");
        }
        string machineId = reader.Optional("machine-id-file", DefaultMachineIdFile);
        if (!Path.IsPathRooted(machineId))
        {
            throw new ConfigException($"{reader.Entry("machine-id-file")!.Where}: key 'machine-id-file' must be an absolute path, found '{IniExcerpt.Of(machineId)}'");
        }
        string? group = reader.Optional("group");
        if (group is not null && group.Any(char.IsWhiteSpace))
        {
            throw new ConfigException($"{reader.Entry("group")!.Where}: key 'group' is '{IniExcerpt.Of(group)}', a group name has no spaces");
        }
        string? report = reader.Optional("report-url");
        if (report is not null && !Transport.SafeUrl.TryParse(report, out _))
        {
            throw new ConfigException($"{reader.Entry("report-url")!.Where}: key 'report-url' must be an http(s) URL");
        }
        RebootWindow? window = null;
        if (reader.Optional("reboot-window") is { } windowText && !Config.RebootWindow.TryParse(windowText, out window))
        {
            throw new ConfigException($"{reader.Entry("reboot-window")!.Where}: key 'reboot-window' is '{IniExcerpt.Of(windowText)}', expected HH:MM-HH:MM (UTC), e.g. 02:00-04:00");
        }
        var origins = new List<Transport.Origin>();
        foreach (string text in (reader.Optional("http-redirect-origins") ?? "").Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Transport.Origin.TryParse(text, out var origin))
            {
                throw new ConfigException($"{reader.Entry("http-redirect-origins")!.Where}: key 'http-redirect-origins' lists '{IniExcerpt.Of(text)}', expected origins such as https://cdn.example.com or http://mirror.example.org:8080 (scheme, host, optional port; no path)");
            }
            origins.Add(origin!);
        }
        var config = new ChannelConfig
        {
            Name = name,
            Url = url,
            Group = group,
            MachineIdFile = machineId,
            PollInterval = Duration.Read(reader, "poll-interval", TimeSpan.FromHours(1), TimeSpan.FromSeconds(10), TimeSpan.FromDays(7)),
            PollJitter = Duration.Read(reader, "poll-jitter", TimeSpan.FromMinutes(10), TimeSpan.Zero, TimeSpan.FromDays(1)),
            ReportUrl = report,
            AutoReboot = reader.Bool("auto-reboot", false),
            RebootWindow = window,
            HttpTimeout = Duration.Read(reader, "http-timeout", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            HttpAttempts = (int)reader.Integer("http-attempts", 8, 1, 100),
            HttpDeadline = Duration.Read(reader, "http-deadline", TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            HttpBundleDeadline = Duration.Read(reader, "http-bundle-deadline", TimeSpan.FromHours(6), TimeSpan.FromMinutes(1), TimeSpan.FromDays(7)),
            HttpMinRate = reader.Integer("http-min-rate", 1024, 0, 1L << 30),
            HttpMinRateTime = Duration.Read(reader, "http-min-rate-time", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            HttpRedirectOrigins = origins,
            Identity = ChannelIdentity.Read(reader, url),
        };
        reader.RejectUnknown();
        return config;
    }

    public Transport.HttpTransportOptions TransportOptions(TimeProvider time, Action<string>? onRetry = null) => new()
    {
        RequestTimeout = HttpTimeout,
        MaxAttempts = HttpAttempts,
        Deadline = HttpDeadline,
        BundleDeadline = HttpBundleDeadline,
        MinRate = HttpMinRate,
        MinRateTime = HttpMinRateTime,
        RedirectOrigins = HttpRedirectOrigins,
        ServerTrust = Identity.ServerTrust,
        ClientCertificate = Identity.ClientCertificate,
        OriginHeaders = Identity.Headers,
        Time = time,
        OnRetry = onRetry,
    };
}
