// SPDX-License-Identifier: Apache-2.0
namespace Updater;

/// <summary>
/// Reads a file that must be small (a key, a channel document): at most <c>maxBytes</c> are ever read, whatever
/// the file claims its length is (a file that grows while read, a pipe, a /proc file reporting 0), and a larger
/// one is refused.
/// </summary>
internal static class SmallFile
{
    public static byte[] Read(string path, int maxBytes, string what)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            var buffer = new byte[maxBytes + 1];
            int total = 0;
            for (int n; total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0;)
            {
                total += n;
            }
            if (total > maxBytes)
            {
                throw new UpdaterException(ExitCode.BadInput, $"{path}: more than {maxBytes} bytes is too large for a {what}");
            }
            return buffer.AsSpan(0, total).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdaterException(ExitCode.Io, $"{path}: cannot read {what}: {e.Message}");
        }
    }
}
