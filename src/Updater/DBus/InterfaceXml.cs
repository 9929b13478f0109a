// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace Updater.DBus;

/// <summary>
/// The &lt;interface&gt; element of docs/dbus/io.github.updater.Updater1.xml, embedded in the binary: Introspect
/// answers with the documented interface itself, so the document and the service cannot drift apart.
/// </summary>
internal static class InterfaceXml
{
    private const string ResourceName = "Updater.DBus.io.github.updater.Updater1.xml";

    public static ReadOnlyMemory<byte> Fragment { get; } = Load();

    private static byte[] Load()
    {
        using var stream = typeof(InterfaceXml).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string document = reader.ReadToEnd();
        int start = document.IndexOf("<interface ", StringComparison.Ordinal);
        const string End = "</interface>";
        int end = document.LastIndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"resource {ResourceName} has no <interface> element");
        }
        return Encoding.UTF8.GetBytes(document[start..(end + End.Length)] + "\n");
    }
}
