// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HealthCheck.Parsing;
using Updater.Transport;

namespace Updater.Config;

/// <summary>
/// How the device proves who it is to the fleet's servers and knows them: [channel] ca-file (a private CA,
/// trusted instead of the system's), client-certificate and client-key (mutual TLS) and header-file (a bearer
/// token or API key for the channel URL's origin). Read and loaded with update.conf, so a missing file, a key
/// that does not match its certificate or a bad header line is exit 3 before anything runs. Key material and
/// header values never appear in a message.
/// </summary>
internal sealed record ChannelIdentity
{
    public static readonly ChannelIdentity None = new();

    public string? CaFile { get; init; }

    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    public string? HeaderFile { get; init; }

    public ServerTrust? ServerTrust { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    public OriginHeaders? Headers { get; init; }

    /// <summary>The files DeviceContext checks like the keyrings; secrets (the key, the headers) must also not be readable by others.</summary>
    public IEnumerable<(string Path, string What, bool Secret)> Files()
    {
        if (CaFile is not null)
        {
            yield return (CaFile, "channel ca-file", false);
        }
        if (ClientCertificateFile is not null)
        {
            yield return (ClientCertificateFile, "channel client-certificate", false);
        }
        if (ClientKeyFile is not null)
        {
            yield return (ClientKeyFile, "channel client-key", true);
        }
        if (HeaderFile is not null)
        {
            yield return (HeaderFile, "channel header-file", true);
        }
    }

    public static ChannelIdentity Read(SectionReader reader, string url)
    {
        string? caFile = AbsolutePath(reader, "ca-file");
        string? certFile = AbsolutePath(reader, "client-certificate");
        string? keyFile = AbsolutePath(reader, "client-key");
        string? headerFile = AbsolutePath(reader, "header-file");
        if (caFile is null && certFile is null && keyFile is null && headerFile is null)
        {
            return None;
        }
        if ((certFile is null) != (keyFile is null))
        {
            var (set, missing) = certFile is null ? ("client-key", "client-certificate") : ("client-certificate", "client-key");
            throw new ConfigException($"{reader.Entry(set)!.Where}: key '{set}' needs key '{missing}' too: mutual TLS takes a certificate and its private key");
        }
        OriginHeaders? headers = null;
        if (headerFile is not null)
        {
            if (!SafeUrl.IsHttp(url))
            {
                throw new ConfigException($"{reader.Entry("header-file")!.Where}: key 'header-file' needs an http(s) url: its headers go to the channel URL's origin only");
            }
            headers = new OriginHeaders(Origin.Of(SafeUrl.Parse(url, "url")), Loaded(reader, "header-file", () =>
            {
                RequireFile(headerFile, "header file");
                return Config.HeaderFile.Load(headerFile);
            }));
        }
        return new ChannelIdentity
        {
            CaFile = caFile,
            ClientCertificateFile = certFile,
            ClientKeyFile = keyFile,
            HeaderFile = headerFile,
            ServerTrust = caFile is null ? null : Loaded(reader, "ca-file", () => LoadCas(caFile)),
            ClientCertificate = certFile is null ? null : Loaded(reader, "client-certificate", () => LoadClientCertificate(certFile, keyFile!)),
            Headers = headers,
        };
    }

    private static string? AbsolutePath(SectionReader reader, string key)
    {
        string? value = reader.Optional(key);
        if (value is not null && !Path.IsPathRooted(value))
        {
            throw new ConfigException($"{reader.Entry(key)!.Where}: key '{key}' must be an absolute path, found '{IniExcerpt.Of(value)}'");
        }
        return value;
    }

    /// <summary>A file's own error, prefixed with the update.conf line and key that named it.</summary>
    private static T Loaded<T>(SectionReader reader, string key, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"{reader.Entry(key)!.Where}: key '{key}': {e.Message}");
        }
    }

    private static ServerTrust LoadCas(string path)
    {
        RequireFile(path, "CA file");
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the CA file: {e.Message}");
        }
        if (roots.Count == 0)
        {
            throw new ConfigException($"{path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA file");
        }
        return new ServerTrust(roots, path);
    }

    private static X509Certificate2 LoadClientCertificate(string certFile, string keyFile)
    {
        RequireFile(certFile, "client certificate");
        RequireFile(keyFile, "client key");
        try
        {
            // On Linux SslStream signs with the PEM key as loaded (checked against Kestrel requiring a client
            // certificate): no PKCS#12 re-import, which only Windows' ephemeral keys need.
            return X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // .NET's messages name what is wrong ("the key does not match the certificate", no PEM found), never the key.
            throw new ConfigException($"{certFile} with {keyFile}: cannot load the client certificate and key: {e.Message}");
        }
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"{path}: no such file (the {what})");
        }
    }
}
