// SPDX-License-Identifier: Apache-2.0
namespace Updater.Transport;

/// <summary>Opens a bundle by what the operator typed: an http(s):// URL or a path.</summary>
internal static class BundleSources
{
    public static Task<IBundleSource> OpenAsync(string location, CancellationToken cancellationToken) =>
        OpenAsync(location, new HttpTransportOptions(), null, cancellationToken);

    public static async Task<IBundleSource> OpenAsync(string location, HttpTransportOptions http, HttpClient? client, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (SafeUrl.IsHttp(location))
        {
            var uri = SafeUrl.Parse(location, "bundle");
            return await HttpBundleSource.OpenAsync(uri, http, client, cancellationToken).ConfigureAwait(false);
        }
        return FileBundleSource.Open(location);
    }
}
