namespace Updater.Tests.Support;

/// <summary>A grubenv file handled only with the real grub-editenv: created, set as GRUB's script would, listed.</summary>
public sealed class GrubEnvFile
{
    private GrubEnvFile(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static GrubEnvFile Create(string path)
    {
        LoopDevice.Run("grub-editenv", path, "create");
        return new GrubEnvFile(path);
    }

    /// <summary>What dist/grub.cfg does when it picks a slot on trial: count the try with save_env before booting.</summary>
    public void Set(string assignment) => LoopDevice.Run("grub-editenv", Path, "set", assignment);

    /// <summary>`grub-editenv FILE list`, as variables.</summary>
    public IReadOnlyDictionary<string, string> List() =>
        LoopDevice.Run("grub-editenv", Path, "list")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);

    /// <summary>The variables of one slot as "OK TRY TRIAL", e.g. "1 0 0" for committed, "0 0 0" for bad.</summary>
    public string SlotState(string bootname)
    {
        var env = List();
        return $"{env.GetValueOrDefault(bootname + "_OK")} {env.GetValueOrDefault(bootname + "_TRY")} {env.GetValueOrDefault(bootname + "_TRIAL")}";
    }
}
