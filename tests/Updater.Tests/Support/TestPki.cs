// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Updater.Tests.Support;

/// <summary>
/// A throw-away fleet PKI made with CertificateRequest: a self-signed CA, a server certificate for 127.0.0.1 and
/// localhost, and client certificates, all signed by that CA; PEM files for update.conf; and Kestrel's HTTPS
/// options that require a client certificate from the CA.
/// </summary>
internal sealed class TestPki
{
    private static readonly DateTimeOffset NotBefore = DateTimeOffset.UtcNow.AddDays(-1);
    private static readonly DateTimeOffset NotAfter = DateTimeOffset.UtcNow.AddDays(30);

    public TestPki(string name = "Test Fleet CA")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(NotBefore, NotAfter);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server() => Issue("CN=127.0.0.1", serverAuth: true);

    public X509Certificate2 Client(string name = "device-0001") => Issue($"CN={name}", serverAuth: false);

    private X509Certificate2 Issue(string subject, bool serverAuth)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }
        using var signed = request.Create(Ca, NotBefore, NotAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the CA certificate as PEM; returns its path.</summary>
    public string WriteCa(string path)
    {
        File.WriteAllText(path, Ca.ExportCertificatePem());
        return path;
    }

    /// <summary>Writes a certificate and its key as PEM (the key mode 0600, as a device keeps it); returns both paths.</summary>
    public static (string Certificate, string Key) Write(X509Certificate2 certificate, string stem)
    {
        File.WriteAllText(stem + ".crt", certificate.ExportCertificatePem());
        File.WriteAllText(stem + ".key", "");
        File.SetUnixFileMode(stem + ".key", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(stem + ".key", certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (stem + ".crt", stem + ".key");
    }

    /// <summary>Kestrel's HTTPS: this PKI's server certificate, and a client certificate from this CA required.</summary>
    public HttpsConnectionAdapterOptions Https() => new()
    {
        ServerCertificate = Server(),
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        ClientCertificateValidation = (certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        },
    };
}
