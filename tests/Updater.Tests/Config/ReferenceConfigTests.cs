// SPDX-License-Identifier: Apache-2.0
using Updater.Config;

namespace Updater.Tests.Config;

public class ReferenceConfigTests
{
    /// <summary>The documented reference update.conf at the top of the repository must stay valid.</summary>
    [Fact]
    public void The_reference_update_conf_parses()
    {
        var config = UpdaterConfig.Load(Path.Combine(RepositoryPaths.Root, "update.conf"));
        Assert.Equal("acme-gateway-v1", config.Compatible);
        Assert.Equal(["A", "B"], config.Slots.Bootnames);
        Assert.Equal(Updater.Image.ImageInfo.DefaultPath, config.ImageInfo);
        Assert.Equal(("/etc/updater/health.d", "systemctl reboot", CommittedFailurePolicy.Report, null, TimeSpan.FromMinutes(5)),
            (config.Health.ChecksDirectory, config.Health.RebootCommand, config.Health.OnCommittedFailure, config.Health.BusAddress, config.Health.Timeout));
    }
}
