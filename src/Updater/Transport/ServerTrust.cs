// SPDX-License-Identifier: Apache-2.0
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Updater.Transport;

/// <summary>
/// [channel] ca-file: the CAs a server's certificate must chain to, instead of the system's. A fleet's private
/// CA is then the only one that can vouch for the update server: a certificate any public CA issued is not
/// trusted. A refusal says so in its own words (the stack's are "the SSL connection could not be established").
/// </summary>
internal sealed class ServerTrust
{
    public ServerTrust(X509Certificate2Collection roots, string source)
    {
        Roots = roots;
        Source = source;
    }

    public X509Certificate2Collection Roots { get; }

    /// <summary>The file the CAs came from, named in every refusal.</summary>
    public string Source { get; }

    public void Apply(SslClientAuthenticationOptions ssl)
    {
        // The chain the callback sees is built with this policy: custom roots only, no system store.
        ssl.CertificateChainPolicy = Policy();
        ssl.RemoteCertificateValidationCallback = Validate;
    }

    private X509ChainPolicy Policy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // A private CA seldom publishes a CRL or OCSP responder the device can reach: an online check would
            // only add a timeout. Revoking a server means replacing its certificate or the CA file.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(Roots);
        return policy;
    }

    private bool Validate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        string host = sender is SslStream { TargetHostName: { Length: > 0 } name } ? name : "the server";
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            throw new AuthenticationException($"{host} sent no certificate: refused");
        }
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            // The chain was built against Roots only (CertificateChainPolicy); say why it failed without the stack's jargon.
            string why = chain is null ? "no chain" : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            throw new AuthenticationException($"the server certificate of {host} was not trusted: it does not chain to a CA in ca-file {Source} ({why})");
        }
        throw new AuthenticationException($"the server certificate of {host} was not trusted: it is not issued for that name ({errors})");
    }
}
