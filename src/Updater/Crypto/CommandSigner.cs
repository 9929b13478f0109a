// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Text;
using NSec.Cryptography;

namespace Updater.Crypto;

/// <summary>
/// An external signer: a shell command that reads the bytes to sign on stdin and writes the Ed25519 signature
/// on stdout, either as 64 raw bytes (what <c>pkcs11-tool --sign --mechanism EDDSA</c> writes) or as 128 hex
/// digits. The private key stays in the HSM or KMS behind the command; the public key given with it names the
/// key and checks every answer, so a wrong key, a wrong slot or a truncated output is caught at signing time,
/// not on the fleet.
/// </summary>
internal sealed class CommandSigner : ISigner
{
    /// <summary>An HSM over USB or a KMS over the network answers in seconds; a hung one must not hang a release.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private const int MaxOutputBytes = 4096;

    private readonly string _command;
    private readonly PublicKey _publicKey;

    public CommandSigner(string command, PublicKey publicKey)
    {
        _command = command;
        _publicKey = publicKey;
        KeyId = Crypto.KeyId.Of(publicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string KeyId { get; }

    public static CommandSigner Create(string command, string publicKeyPath) => new(command, PublicKeys.Load(publicKeyPath));

    public async Task<byte[]> SignAsync(byte[] message, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", _command },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId}: could not start /bin/sh");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            var stdout = ReadCappedAsync(process.StandardOutput.BaseStream, timeout.Token);
            bool taken = await WriteInputAsync(process, message, timeout.Token).ConfigureAwait(false);
            byte[] output = await stdout.ConfigureAwait(false);
            string errors = await stderr.ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId} exited with status {process.ExitCode}: {Text.SafeText.Escape(Last(errors))}");
            }
            if (!taken)
            {
                throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId} exited before reading the {message.Length} bytes to sign: {Text.SafeText.Escape(Last(errors))}");
            }
            byte[] signature = Decode(output);
            if (!SignatureAlgorithm.Ed25519.Verify(_publicKey, message, signature))
            {
                throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId}: its signature does not verify with that public key (a different key in the HSM, or the wrong mechanism: Ed25519 needs CKM_EDDSA)");
            }
            return signature;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId} gave no signature within {Timeout.TotalSeconds:0} s");
        }
        catch (IOException e)
        {
            throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId}: {e.Message}");
        }
    }

    /// <summary>
    /// Writes the bytes to sign and closes stdin. A command that fails early (a wrong PIN, no token) exits without
    /// reading them, and the write fails with a broken pipe; that is not the error to report, its exit status and
    /// stderr are.
    /// </summary>
    /// <returns>Whether the command took every byte.</returns>
    private static async Task<bool> WriteInputAsync(Process process, byte[] message, CancellationToken cancellationToken)
    {
        bool taken = true;
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await process.StandardInput.BaseStream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            taken = false;
        }
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            taken = false;
        }
        return taken;
    }

    private byte[] Decode(byte[] output)
    {
        int size = SignatureAlgorithm.Ed25519.SignatureSize;
        if (output.Length == size)
        {
            return output;
        }
        string text = Encoding.ASCII.GetString(output).Trim();
        if (text.Length == size * 2 && text.All(char.IsAsciiHexDigit))
        {
            return Convert.FromHexString(text);
        }
        throw new UpdaterException(ExitCode.Io, $"sign command for key {KeyId} wrote {output.Length} bytes; expected the {size}-byte signature raw or as {size * 2} hex digits");
    }

    private static async Task<byte[]> ReadCappedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxOutputBytes + 1];
        int total = 0;
        for (int n; total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0;)
        {
            total += n;
        }
        // Drained past the cap so the command is not blocked writing; what is beyond the cap is not a signature.
        if (total > MaxOutputBytes)
        {
            await stream.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        return buffer[..total];
    }

    private static string Last(string errors)
    {
        string trimmed = errors.Trim();
        return trimmed.Length <= 400 ? trimmed : "..." + trimmed[^400..];
    }
}
