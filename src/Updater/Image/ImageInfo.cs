// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.RegularExpressions;
using HealthCheck.Parsing;
using Updater.Bundles;

namespace Updater.Image;

/// <summary>
/// What the running image says of itself: the file the image build puts in the rootfs (update.conf
/// [system] image-info, default <see cref="DefaultPath"/>), in the INI syntax of update.conf:
/// <code>
/// [image]
/// security-version = 5
/// version = 2.1.0
/// built = 2026-11-30T12:00:00Z
/// </code>
/// Its security version is one of the anti-rollback floors (docs/anti-rollback.md): it travels with the image,
/// so a factory-flashed device or a wiped state directory still has one. Every error names file, line and key.
/// </summary>
internal sealed partial record ImageInfo
{
    public const string DefaultPath = "/usr/lib/updater/image-info";

    private static readonly string[] Keys = ["security-version", "version", "built"];

    public required string File { get; init; }

    /// <summary>The image's own anti-rollback floor: a bundle with a lower security version is refused.</summary>
    public required long SecurityVersion { get; init; }

    /// <summary>The image's release version, when the build wrote it: a floor of the downgrade rule.</summary>
    public string? Version { get; init; }

    /// <summary>
    /// When the image was built (RFC 3339, UTC), when the build wrote it: the system clock cannot honestly be
    /// earlier, so it is a lower bound for a trusted time.
    /// </summary>
    public DateTimeOffset? Built { get; init; }

    /// <summary>The file at <paramref name="path"/>, or null when there is none.</summary>
    /// <exception cref="ImageInfoException">The file exists but cannot be read or is not a valid image-info file.</exception>
    public static ImageInfo? Load(string path)
    {
        try
        {
            if (!System.IO.File.Exists(path))
            {
                return Directory.Exists(path) ? throw new ImageInfoException($"{path}: is a directory, not an image-info file") : null;
            }
            return Parse(IniDocument.Load(path));
        }
        catch (IniFormatException e)
        {
            throw new ImageInfoException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageInfoException($"{path}: cannot read: {e.Message}");
        }
    }

    /// <param name="file">Named in errors, as if the text had been read from it.</param>
    /// <exception cref="ImageInfoException">The text is not a valid image-info file.</exception>
    public static ImageInfo Parse(string text, string file)
    {
        try
        {
            return Parse(IniDocument.Parse(text, file));
        }
        catch (IniFormatException e)
        {
            throw new ImageInfoException(e.Message);
        }
    }

    private static ImageInfo Parse(IniDocument doc)
    {
        IniSection? image = null;
        foreach (var section in doc.Sections)
        {
            if (section.Name != "image")
            {
                throw new ImageInfoException($"{section.File}:{section.Line}: unknown section [{section.Name}] (an image-info file has only [image])");
            }
            image = section;
        }
        if (image is null)
        {
            throw new ImageInfoException($"{doc.File}: no [image] section: expected [image] with security-version (docs/anti-rollback.md)");
        }
        foreach (var entry in image.Entries.Where(e => !Keys.Contains(e.Key, StringComparer.Ordinal)))
        {
            throw new ImageInfoException($"{entry.Where}: unknown key '{entry.Key}' in [image] (known: {string.Join(", ", Keys)})");
        }

        var sv = image.Entries.FirstOrDefault(e => e.Key == "security-version")
            ?? throw new ImageInfoException($"{image.File}:{image.Line}: [image] needs key 'security-version' (the image's anti-rollback floor)");
        if (sv.Value.Length is 0 or > 18 || !sv.Value.All(char.IsAsciiDigit) ||
            !long.TryParse(sv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long securityVersion))
        {
            throw new ImageInfoException($"{sv.Where}: key 'security-version' is '{IniExcerpt.Of(sv.Value)}', expected a whole number from 0 (at most 18 digits)");
        }

        string? version = null;
        if (image.Entries.FirstOrDefault(e => e.Key == "version") is { } v)
        {
            if (!ReleaseVersion.TryParse(v.Value, out _))
            {
                throw new ImageInfoException($"{v.Where}: key 'version' is '{IniExcerpt.Of(v.Value)}', expected a release version such as 2.1.0");
            }
            version = v.Value;
        }

        DateTimeOffset? built = null;
        if (image.Entries.FirstOrDefault(e => e.Key == "built") is { } b)
        {
            if (!Rfc3339().IsMatch(b.Value) ||
                !DateTimeOffset.TryParse(b.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var when))
            {
                throw new ImageInfoException($"{b.Where}: key 'built' is '{IniExcerpt.Of(b.Value)}', expected an RFC 3339 time such as 2026-11-30T12:00:00Z");
            }
            built = when.ToUniversalTime();
        }

        return new ImageInfo { File = doc.File, SecurityVersion = securityVersion, Version = version, Built = built };
    }

    // RFC 3339 date-time: a full date, 'T', a full time with optional fraction, and Z or a numeric offset.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}

/// <summary>An image-info file that exists but cannot be used: its message names file, line and key.</summary>
internal sealed class ImageInfoException : UpdaterException
{
    public ImageInfoException(string message)
        : base(ExitCode.Refused, message)
    {
    }
}
