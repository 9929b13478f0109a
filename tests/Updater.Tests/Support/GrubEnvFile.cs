namespace Updater.Tests.Support;

/// <summary>A grubenv file handled only with the real grub-editenv: set as GRUB's script would, and listed.</summary>
internal sealed class GrubEnvFile(string path)
{
    public string Path { get; } = path;

    /// <summary>What dist/grub.cfg does when it picks a slot on trial: count the try with save_env before booting.</summary>
    public void Set(string assignment) => LoopDevice.Run("grub-editenv", Path, "set", assignment);

    /// <summary>`grub-editenv FILE list`, as variables.</summary>
    public IReadOnlyDictionary<string, string> List() => UpdaterProcess.GrubEnvList(Path);

    /// <summary>The variables of one slot as "OK TRY TRIAL", e.g. "1 0 0" for committed, "0 0 0" for bad.</summary>
    public string SlotState(string bootname)
    {
        var env = List();
        return $"{env.GetValueOrDefault(bootname + "_OK")} {env.GetValueOrDefault(bootname + "_TRY")} {env.GetValueOrDefault(bootname + "_TRIAL")}";
    }
}
