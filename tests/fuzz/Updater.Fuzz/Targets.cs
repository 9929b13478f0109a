// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using HealthCheck.Parsing;
using Partition.Bootloaders;
using Partition.Bootloaders.Efi;
using Partition.Bootloaders.Grub;
using Partition.Bootloaders.SystemdBoot;
using Partition.Bootloaders.UBoot;
using Updater.Bundles;
using Updater.Config;
using Updater.Crypto;
using Updater.Fleet;
using Updater.Image;
using Updater.State;
using Updater.Transport;
using Updater.Trust;

namespace Updater.Fuzz;

/// <summary>
/// One target per parser that takes bytes from outside. Each calls the real entry point, lets through only the
/// rejection types that parser documents (with a message that names the input), and for the signed formats
/// checks that an accepted input carries exactly the signed bytes of the valid seed.
/// </summary>
internal static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new SortedDictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["bundle"] = Bundle,
        ["bundle-unverified"] = BundleUnverified,
        ["bundle-crc"] = input => Bundle(FixHeaderCrc(input)),
        ["bundle-unverified-crc"] = input => BundleUnverified(FixHeaderCrc(input)),
        ["envelope"] = Envelope,
        ["chunk-index"] = ChunkIndexTarget,
        ["chunk-decode"] = ChunkDecode,
        ["channel"] = Channel,
        ["root"] = Root,
        ["update-conf"] = UpdateConf,
        ["header-file"] = HeaderFileTarget,
        ["image-info"] = ImageInfoTarget,
        ["clock"] = Clock,
        ["journal-stream"] = JournalStreamTarget,
        ["filesystem-probe"] = FilesystemProbeTarget,
        ["dbus-install-arguments"] = DBusInstallArguments,
        ["health"] = Health,
        ["grubenv"] = Grubenv,
        ["systemd-boot"] = SystemdBoot,
        ["efi"] = Efi,
        ["uboot"] = input => UBoot(input, redundant: false),
        ["uboot-redundant"] = input => UBoot(input, redundant: true),
        ["uboot-crc"] = input => UBoot(input, redundant: false, fixCrc: true),
        ["http"] = Http,
        ["url"] = Url,
        ["bundle-url"] = BundleUrl,
    };

    private const string Name = "fuzz-input";

    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Updater.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Updater.sln not found above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<TrustRoot> FixtureRoot = new(() =>
    {
        string path = Path.Combine(RepoRoot.Value, "fixtures", "keys", "TEST-ONLY-DO-NOT-SHIP.root.json");
        return TrustRoot.OpenAnchor(File.ReadAllBytes(path), path);
    });

    /// <summary>The signed bytes of the valid seeds (files "valid*") of a signed target: what any accepted input must carry one of.</summary>
    private static byte[][] Reference(string target, Func<byte[], byte[]> signedPart) =>
        Directory.GetFiles(Path.Combine(RepoRoot.Value, "tests", "fuzz", "seeds", target), "valid*").Select(f => signedPart(File.ReadAllBytes(f))).ToArray();

    private static bool OneOf(byte[] signed, byte[][] references) => references.Any(r => r.AsSpan().SequenceEqual(signed));

    private static readonly Lazy<byte[][]> BundleManifestReference = new(() => Reference("bundle", bytes =>
    {
        var header = BundleHeader.Parse(bytes, bytes.LongLength, "seed");
        return bytes.AsSpan((int)header.ManifestOffset, (int)header.ManifestLength).ToArray();
    }));

    private static readonly Lazy<byte[][]> ChannelPayloadReference = new(() => Reference("channel", bytes => SignedFile.Read(bytes, VerifiedChannel.MaxFileBytes, "seed", "channel file").Payload));

    private static readonly Lazy<byte[][]> RootPayloadReference = new(() => [SignedFile.Read(FixtureRoot.Value.FileBytes, TrustRoot.MaxFileBytes, "seed", "root file").Payload]);

    private static readonly Lazy<string> Scratch = new(() => Directory.CreateTempSubdirectory("updater-fuzz-").FullName);

    private static bool Documented(UpdaterException e) => e.ExitCode is ExitCode.BadInput or ExitCode.Config;

    private static void Bundle(byte[] input)
    {
        VerifiedBundle bundle;
        var source = new MemorySource(input, Name);
        try
        {
            bundle = VerifiedBundle.OpenAsync(source, FixtureRoot.Value, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
            return;
        }
        if (!OneOf(bundle.ManifestBytes, BundleManifestReference.Value))
        {
            throw new FindingException("a bundle whose manifest differs from the signed one was accepted");
        }
        // Past the signature: the index and every chunk, as an install reads them (chunk decode, stored -> image bytes).
        foreach (var image in bundle.Manifest.Images)
        {
            ChunkIndex index;
            try
            {
                index = bundle.ReadIndexAsync(image, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (UpdaterException e) when (Documented(e))
            {
                Check.Rejection(e, Name);
                continue;
            }
            try
            {
                var reader = bundle.OpenChunksAsync(index, 0, (int)image.ChunkCount, CancellationToken.None).GetAwaiter().GetResult();
                var buffer = new byte[image.ChunkSize];
                for (long i = 0; i < image.ChunkCount; i++)
                {
                    reader.ReadNextAsync(buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                }
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (UpdaterException e) when (Documented(e))
            {
                Check.Rejection(e, Name);
            }
        }
    }

    /// <summary>
    /// Writes the right header CRC-32 first (when the input is long enough to hold a header), so mutations of
    /// the offsets and lengths reach the checks behind the CRC instead of all ending at "header corrupt".
    /// </summary>
    private static byte[] FixHeaderCrc(byte[] input)
    {
        if (input.Length >= BundleHeader.Size)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(BundleHeaderLayout.Crc), System.IO.Hashing.Crc32.HashToUInt32(input.AsSpan(0, BundleHeaderLayout.Crc)));
        }
        return input;
    }

    private static void BundleUnverified(byte[] input)
    {
        try
        {
            var (header, manifest, signature) = UnverifiedBundleReader.ReadSignedPartAsync(new MemorySource(input, Name), CancellationToken.None).GetAwaiter().GetResult();
            UnverifiedBundleReader.ParseManifest(manifest, header, input.LongLength, Name);
            SignatureEnvelope.Parse(signature, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
        }
    }

    private static void Envelope(byte[] input)
    {
        try
        {
            SignatureEnvelope.Parse(input, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
        }
    }

    /// <summary>Index bytes for an image of as many 4 KiB chunks as the input has whole entries.</summary>
    private static void ChunkIndexTarget(byte[] input)
    {
        const int chunkSize = 4096;
        long count = Math.Max(1, input.Length / ChunkIndex.EntrySize);
        var image = new ImageManifest
        {
            SlotClass = "rootfs",
            Size = (count * chunkSize) - 100,
            Sha256 = new string('0', 64),
            ChunkSize = chunkSize,
            ChunkCount = count,
            Compression = "zstd",
            Index = new IndexLocation(0, count * ChunkIndex.EntrySize, new string('0', 64)),
            Payload = new PayloadLocation(count * ChunkIndex.EntrySize, input.Length >= 12 ? BitConverter.ToInt32(input, 8) & int.MaxValue : 1, new string('0', 64)),
        };
        try
        {
            ChunkIndex.Parse(input, image, 4096, 8192, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
        }
    }

    /// <summary>First byte: the encoding's low bit and the chunk size (4 KiB shifted by bits 1-3); the rest is the stored chunk.</summary>
    private static void ChunkDecode(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var encoding = (input[0] & 1) == 0 ? ChunkEncoding.Stored : ChunkEncoding.Zstd;
        var destination = new byte[4096 << ((input[0] >> 1) & 7)];
        if (!ChunkCodec.TryDecode(input.AsSpan(1), encoding, destination, out string? problem) && string.IsNullOrWhiteSpace(problem))
        {
            throw new FindingException("chunk decode failed without a reason");
        }
    }

    private static void Channel(byte[] input)
    {
        VerifiedChannel channel;
        try
        {
            channel = VerifiedChannel.Open(input, FixtureRoot.Value, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
            return;
        }
        if (!OneOf(SignedFile.Read(input, VerifiedChannel.MaxFileBytes, Name, "channel file").Payload, ChannelPayloadReference.Value))
        {
            throw new FindingException("a channel file whose payload differs from the signed one was accepted");
        }
        BundleUrl(Encoding.UTF8.GetBytes(channel.Document.Release.BundleUrl));
        // The document alone, unsigned: the rules behind the signature (reachable only by a key holder, but parsed all the same).
        try
        {
            VerifiedChannel.ParseDocument(SignedFile.Read(input, VerifiedChannel.MaxFileBytes, Name, "channel file").Payload, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
        }
    }

    private static void Root(byte[] input)
    {
        TrustRoot root;
        try
        {
            root = TrustRoot.OpenAnchor(input, Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
            // The payload alone, as RootRules sees any document (the vendor tools parse drafts too).
            try
            {
                RootRules.Parse(input, Name);
            }
            catch (UpdaterException e2) when (Documented(e2))
            {
                Check.Rejection(e2, Name);
            }
            try
            {
                FixtureRoot.Value.Next(input, Name);
            }
            catch (UpdaterException e3) when (Documented(e3))
            {
                Check.Rejection(e3, Name);
            }
            return;
        }
        if (!OneOf(SignedFile.Read(input, TrustRoot.MaxFileBytes, Name, "root file").Payload, RootPayloadReference.Value))
        {
            throw new FindingException("a root file whose payload differs from the signed one was accepted");
        }
        _ = root.Version;
    }

    private static void UpdateConf(byte[] input)
    {
        try
        {
            UpdaterConfig.Parse(Check.Utf8(input), Name);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, Name);
        }
    }

    private static void HeaderFileTarget(byte[] input)
    {
        string path = Path.Combine(Scratch.Value, "headers");
        File.WriteAllBytes(path, input);
        try
        {
            HeaderFile.Load(path);
        }
        catch (UpdaterException e) when (Documented(e))
        {
            Check.Rejection(e, path);
        }
    }

    private static void ImageInfoTarget(byte[] input)
    {
        try
        {
            ImageInfo.Parse(Check.Utf8(input), Name);
        }
        catch (ImageInfoException e)
        {
            Check.Rejection(e, Name);
        }
    }

    /// <summary>clock.json as the state directory reads it (corruption is an I/O error there, by design).</summary>
    private static void Clock(byte[] input)
    {
        var state = new StateDirectory(Scratch.Value);
        File.WriteAllBytes(Path.Combine(Scratch.Value, "clock.json"), input);
        try
        {
            state.ReadSignedTime();
        }
        catch (UpdaterException e) when (e.ExitCode == ExitCode.Io)
        {
            Check.Rejection(e, "clock.json");
        }
    }

    /// <summary>
    /// $JOURNAL_STREAM, which any parent process may set: malformed is "no journal", never an exception, and an
    /// accepted value is exactly two decimal numbers around one colon.
    /// </summary>
    private static void JournalStreamTarget(byte[] input)
    {
        string text = Check.Latin1(input);
        if (Updater.Events.JournalStream.Parse(text) is { } stream
            && text != string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{stream.Device}:{stream.Inode}")
            && !text.Split(':').All(part => part.Length > 0 && part.All(char.IsAsciiDigit)))
        {
            throw new InvalidOperationException($"JOURNAL_STREAM '{Check.Cap(text)}' accepted as {stream.Device}:{stream.Inode}");
        }
        Updater.Events.JournalStream.Matches(text, [2, 1]);
    }

    /// <summary>An image's first bytes as a typed slot's install reads them: a header or a reason, and a size that fits.</summary>
    private static void FilesystemProbeTarget(byte[] input)
    {
        foreach (var type in new[] { Partition.Filesystems.SlotType.Ext4, Partition.Filesystems.SlotType.Vfat })
        {
            var (fs, problem) = Partition.Filesystems.FilesystemProbe.Probe(input, type);
            if ((fs is null) == (problem is null) || fs is { Size: <= 0 or > 1L << 50 } || (fs is not null && fs.Type != type))
            {
                throw new InvalidOperationException($"{type}: header {fs} with problem '{problem}'");
            }
        }
    }

    /// <summary>
    /// Install's arguments as a caller on the bus chooses them: the first line is the source, each further line
    /// "key=b:true", "key=x:12", "key=s:text" or "key=i:3" an option. Refused or accepted, never a throw; a
    /// refusal is one line that names what is wrong; an accepted set reads without a throw.
    /// </summary>
    private static void DBusInstallArguments(byte[] input)
    {
        string[] lines = Encoding.UTF8.GetString(input).Split('\n');
        var options = new Dictionary<string, Tmds.DBus.Protocol.VariantValue>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(1))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || line.Length < eq + 3 || line[eq + 2] != ':')
            {
                continue;
            }
            string value = line[(eq + 3)..];
            options[line[..eq]] = line[eq + 1] switch
            {
                'b' => Tmds.DBus.Protocol.VariantValue.Bool(value == "true"),
                'x' => Tmds.DBus.Protocol.VariantValue.Int64(long.TryParse(value, out long n) ? n : -1),
                'i' => Tmds.DBus.Protocol.VariantValue.Int32(value.Length),
                _ => Tmds.DBus.Protocol.VariantValue.String(value),
            };
        }
        string? problem = Updater.DBus.InstallArguments.Check(lines[0], options);
        if (problem is null)
        {
            var request = Updater.DBus.InstallArguments.Read(options);
            if (request.InitialFloor is < 0)
            {
                throw new InvalidOperationException($"accepted a negative initial floor {request.InitialFloor}");
            }
            return;
        }
        if (problem.Length > 1024 || problem.Any(char.IsControl))
        {
            throw new InvalidOperationException($"rejection is not one bounded line: {problem.Length} characters");
        }
    }

    private static void Health(byte[] input)
    {
        try
        {
            HealthCheckParser.Parse(Check.Utf8(input), Name);
        }
        catch (HealthCheckConfigException e)
        {
            Check.Rejection(e, Name);
        }
    }

    private static void Grubenv(byte[] input)
    {
        GrubEnvBlock block;
        try
        {
            block = GrubEnvBlock.Parse(input, Name);
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
            return;
        }
        _ = block.Variables;
    }

    /// <summary>
    /// systemd-boot's inputs: the first line as an entry's file name (a name the backend takes as one of its slots
    /// must be the name it would write back, or its rename would miss the file), the rest as the entry file, and
    /// the whole input as an efivarfs string variable.
    /// </summary>
    private static void SystemdBoot(byte[] input)
    {
        int newline = Array.IndexOf(input, (byte)'\n');
        string name = Encoding.UTF8.GetString(input, 0, newline < 0 ? input.Length : newline);
        try
        {
            if (SystemdBootEntryName.Parse(name, "updater", "/fuzz/loader/entries") is { } entry && entry.FileName != name)
            {
                throw new FindingException($"entry name '{Check.Cap(name)}' is read as slot {entry.Bootname} but written back as '{entry.FileName}'");
            }
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, "/fuzz/loader/entries");
        }
        try
        {
            var file = BlsFile.Parse(input.AsSpan(newline < 0 ? input.Length : newline + 1), Name);
            _ = file.Last("linux");
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
        }
        try
        {
            _ = EfiVariable.Decode(input, Name);
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
        }
    }

    /// <summary>
    /// The efi backend's inputs, the whole input as an efivarfs variable: a Boot#### load option, BootOrder (which
    /// must encode back to the bytes it was read from, or a rewrite would change the firmware's order), and
    /// BootNext; a description may be shown only without control characters.
    /// </summary>
    private static void Efi(byte[] input)
    {
        try
        {
            var option = EfiLoadOption.Parse(input, Name);
            if (option.Shown.Any(char.IsControl))
            {
                throw new FindingException("a load option's description is shown with a control character");
            }
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
        }
        try
        {
            var order = EfiBootNumbers.ParseOrder(input, Name);
            if (!EfiBootNumbers.EncodeOrder(order).AsSpan().SequenceEqual(input.AsSpan(4)))
            {
                throw new FindingException($"BootOrder {EfiBootNumbers.FormatOrder(order.Take(16))} does not encode back to the bytes it was read from");
            }
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
        }
        try
        {
            ushort next = EfiBootNumbers.ParseOne(input, Name);
            if (EfiBootNumbers.TryParse(EfiBootNumbers.Format(next)) != next)
            {
                throw new FindingException($"Boot{EfiBootNumbers.Format(next)} does not read back as itself");
            }
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, Name);
        }
    }

    /// <param name="fixCrc">The harness writes the right CRC-32 first, so mutations reach the variable parser behind it.</param>
    private static void UBoot(byte[] input, bool redundant, bool fixCrc = false)
    {
        // Sizes as mkenvimage -s 0x4000 (and -r) writes them: a redundant input is two copies back to back. The
        // copies are decoded and chosen as UBootEnvStore.ReadAsync does, without the file in between (speed).
        const int size = 0x4000;
        const string path = "/dev/fuzz-env";
        var bytes = new byte[redundant ? 2 * size : size];
        input.AsSpan(0, Math.Min(input.Length, bytes.Length)).CopyTo(bytes);
        if (fixCrc)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(4, size - 4)));
        }
        try
        {
            var first = UBootEnvCopy.Decode(bytes.AsSpan(0, size), redundant, path, 0);
            if (redundant)
            {
                var second = UBootEnvCopy.Decode(bytes.AsSpan(size, size), redundant, path, size);
                int current = UBootEnvStore.CurrentCopy(first, second);
                // The rule for NOR flash (active/obsolete flags) must choose a copy whenever the generation rule does.
                int onFlash = UBootEnvStore.CurrentCopy(first, second, booleanFlags: true);
                if (current is < -1 or > 1 || (current < 0) != (onFlash < 0))
                {
                    throw new InvalidOperationException($"copy choice {current} (generations) and {onFlash} (flash flags) disagree on validity");
                }

                _ = current == 1 ? second.Variables : first.Variables;
            }
            else
            {
                _ = first.Variables;
            }
        }
        catch (BootEnvironmentException e)
        {
            Check.Rejection(e, path);
        }
    }

    /// <summary>
    /// A server's answer: the first line is the status code, then header lines "Name: value" up to a blank line.
    /// The bundle source opens it (Content-Range, Content-Length, ETag, Last-Modified) and reads a range from it;
    /// Retry-After goes through the retry's parser.
    /// </summary>
    private static void Http(byte[] input)
    {
        var uri = new Uri("https://updates.example.com/bundle.upd");
        using var client = new HttpClient(new ScriptedHandler(input));
        var options = new HttpTransportOptions { MaxAttempts = 1, RequestTimeout = TimeSpan.FromSeconds(5), Deadline = TimeSpan.FromSeconds(5) };
        try
        {
            var source = HttpBundleSource.OpenAsync(uri, options, client, CancellationToken.None).GetAwaiter().GetResult();
            var buffer = new byte[Math.Clamp(source.Length, 0, 16)];
            source.ReadExactlyAsync(0, buffer, CancellationToken.None).GetAwaiter().GetResult();
            source.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (UpdaterException e) when (e.ExitCode is ExitCode.BadInput or ExitCode.Io)
        {
            Check.Rejection(e, "updates.example.com");
        }
        using var response = ScriptedHandler.Response(input);
        HttpRetry.RetryAfter(response, TimeProvider.System);
        var identity = RemoteIdentity.Of(response);
        identity.IfRange();
        Check.Text(identity.Difference(new RemoteIdentity("\"other\"", DateTimeOffset.UnixEpoch)), "identity difference");
    }

    /// <summary>
    /// A signed channel's release.bundle_url (only a key holder can choose it, but a mistake must not crash the
    /// device): resolved against an HTTP channel and a local one, then opened as a bundle location is, up to the
    /// network. Only the documented bad-input refusal may come out.
    /// </summary>
    private static void BundleUrl(byte[] input)
    {
        string url = Check.Utf8(input);
        using var client = new HttpClient(new ScriptedHandler("404\n"u8.ToArray()));
        var options = new HttpTransportOptions { MaxAttempts = 1 };
        foreach (string channel in new[] { "https://updates.example.com/stable/channel.json", Path.Combine(Scratch.Value, "channel.json") })
        {
            string location;
            try
            {
                location = new ChannelFetcher(channel, client, options).ResolveBundle(url);
            }
            catch (UpdaterException e) when (Documented(e))
            {
                Check.Rejection(e, channel.StartsWith("https", StringComparison.Ordinal) ? "updates.example.com" : channel);
                continue;
            }
            Check.Text(SafeUrl.Redact(location).Length > url.Length + channel.Length + 64 ? location : null, "redacted bundle location");
            if (SafeUrl.IsHttp(location))
            {
                try
                {
                    BundleSources.OpenAsync(location, options, client, CancellationToken.None).GetAwaiter().GetResult().DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                catch (UpdaterException e) when (e.ExitCode is ExitCode.BadInput or ExitCode.Io)
                {
                    Check.Text(e.Message, "bundle open error");
                }
            }
        }
    }

    /// <summary>
    /// One line of text as a URL: parsing never throws anything but the usage error, and the redacted form keeps
    /// no user, password, query or fragment of any input, however malformed.
    /// </summary>
    private static void Url(byte[] input)
    {
        string text = Check.Utf8(input);
        foreach (string candidate in new[] { text, "https://" + text, "http://user:SECRET@" + text, "https://host/p?SECRET" + text })
        {
            try
            {
                SafeUrl.Parse(candidate, "url");
            }
            catch (UpdaterException e) when (e.ExitCode == ExitCode.Usage)
            {
                Check.Text(e.Message, "URL rejection");
            }
            string redacted = SafeUrl.Redact(candidate);
            UrlInvariant.CheckRedacted(candidate, redacted);
        }
    }
}

/// <summary>A bundle in memory.</summary>
internal sealed class MemorySource(byte[] bytes, string name) : IBundleSource
{
    public string Name => name;

    public long Length => bytes.LongLength;

    public bool RereadIsCheap => true;

    public Task ReadExactlyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset + buffer.Length > bytes.LongLength)
        {
            throw new BundleFormatException($"{name}: bytes {offset}..{offset + buffer.Length} are past the end ({bytes.LongLength} bytes)");
        }
        bytes.AsMemory((int)offset, buffer.Length).CopyTo(buffer);
        return Task.CompletedTask;
    }

    public Task<Stream> OpenRangeAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (offset < 0 || length < 0 || offset + length > bytes.LongLength)
        {
            throw new BundleFormatException($"{name}: bytes {offset}..{offset + length} are past the end ({bytes.LongLength} bytes)");
        }
        return Task.FromResult<Stream>(new MemoryStream(bytes, (int)offset, (int)length, writable: false));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Answers every request with the scripted response; a body of 64 bytes of zeros past the header lines' end.</summary>
internal sealed class ScriptedHandler(byte[] script) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(Response(script));

    public static HttpResponseMessage Response(byte[] script)
    {
        string[] lines = Encoding.Latin1.GetString(script).Split('\n');
        int status = lines.Length > 0 && int.TryParse(lines[0].Trim(), out int s) && s is >= 100 and <= 999 ? s : 206;
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new ByteArrayContent(new byte[64]) };
        response.Content.Headers.ContentLength = null;
        for (int i = 1; i < lines.Length && lines[i].Length > 0; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            string name = lines[i][..colon].Trim(), value = lines[i][(colon + 1)..].Trim();
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return response;
    }
}

internal static class UrlInvariant
{
    /// <summary>What a redacted URL may never carry: an '@' in its authority, a query other than the marker, a fragment, or the secret marker.</summary>
    public static void CheckRedacted(string input, string redacted)
    {
        Check.Text(redacted.Length > input.Length + 64 ? redacted : null, "redacted URL");
        if (redacted.Contains("SECRET", StringComparison.Ordinal) && !input.Replace("SECRET", "", StringComparison.Ordinal).Contains("SECRET", StringComparison.Ordinal)
            && (input.StartsWith("http://user:SECRET@", StringComparison.Ordinal) || input.StartsWith("https://host/p?SECRET", StringComparison.Ordinal)))
        {
            throw new FindingException($"redaction kept the secret: '{Check.Cap(input)}' -> '{Check.Cap(redacted)}'");
        }
        int scheme = redacted.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            string rest = redacted[(scheme + 3)..];
            int end = rest.IndexOfAny(['/', '?', '#', '\\']);
            string authority = end < 0 ? rest : rest[..end];
            if (authority.Contains('@', StringComparison.Ordinal))
            {
                throw new FindingException($"redaction kept user information: '{Check.Cap(input)}' -> '{Check.Cap(redacted)}'");
            }
        }
        int query = redacted.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0 && !redacted.AsSpan(query).SequenceEqual("?(redacted)"))
        {
            throw new FindingException($"redaction kept a query: '{Check.Cap(input)}' -> '{Check.Cap(redacted)}'");
        }
        if (redacted.Contains('#', StringComparison.Ordinal))
        {
            throw new FindingException($"redaction kept a fragment: '{Check.Cap(input)}' -> '{Check.Cap(redacted)}'");
        }
    }
}
