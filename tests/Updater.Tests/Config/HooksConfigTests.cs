// SPDX-License-Identifier: Apache-2.0
using Updater.Config;

namespace Updater.Tests.Config;

/// <summary>[hooks] and [hooks.CLASS] of update.conf: read whole at load, every mistake one error naming file, line and key.</summary>
public class HooksConfigTests
{
    private const string Base = HealthConfigTests.Base;

    [Fact]
    public void No_section_means_no_hooks()
    {
        var config = UpdaterConfig.Parse(Base, "update.conf");
        Assert.True(config.Hooks.IsEmpty);
    }

    [Fact]
    public void Both_sections_are_read_and_a_class_inherits_the_install_timeout()
    {
        var config = UpdaterConfig.Parse(Base + """
            [hooks.rootfs]
            post-install = /usr/lib/acme/flash-modem
            mount = yes

            [hooks]
            pre-install = /usr/lib/acme/check-battery
            post-install = /usr/lib/acme/migrate-data
            timeout = 20m
            """, "update.conf");
        Assert.Equal("/usr/lib/acme/check-battery", config.Hooks.Install.PreInstall);
        Assert.Equal("/usr/lib/acme/migrate-data", config.Hooks.Install.PostInstall);
        Assert.Equal(TimeSpan.FromMinutes(20), config.Hooks.Install.Timeout);
        var rootfs = config.Hooks.ByClass["rootfs"];
        Assert.Null(rootfs.PreInstall);
        Assert.Equal("/usr/lib/acme/flash-modem", rootfs.PostInstall);
        Assert.True(rootfs.MountImage);
        Assert.Equal(TimeSpan.FromMinutes(20), rootfs.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(20), config.Hooks.BundleHookTimeout);
        Assert.Equal(HooksConfig.DefaultTimeout, UpdaterConfig.Parse(Base + "[hooks]\npre-install = /x\n", "update.conf").Hooks.Install.Timeout);
    }

    [Theory]
    [InlineData("[hooks]\npre-install = check-battery", "update.conf:14: key 'pre-install' must be the absolute path of one executable")]
    [InlineData("[hooks]\npost-install = /usr/bin/env python3 migrate.py", "update.conf:14: key 'post-install' must be the absolute path of one executable")]
    [InlineData("[hooks]\ntimeout = 0", "update.conf:14: key 'timeout' is '0', expected a duration")]
    [InlineData("[hooks]\ntimeout = 2d", "update.conf:14: key 'timeout' is '2d', expected a duration")]
    [InlineData("[hooks]\nmount = yes", "update.conf:14: unknown key 'mount' in [hooks]")]
    [InlineData("[hooks]\npre-instal = /x", "update.conf:14: unknown key 'pre-instal' in [hooks]")]
    [InlineData("[hooks.appfs]\npre-install = /x", "update.conf:13: section [hooks.appfs] names slot class 'appfs', which no [slot.appfs.N] section configures (classes: rootfs)")]
    [InlineData("[hooks.rootfs]\nmount = yes", "update.conf:14: key 'mount' mounts the new image for the post-install hook, but [hooks.rootfs] has no post-install")]
    [InlineData("[hooks.rootfs]\npost-install = /x\nmount = perhaps", "update.conf:15: key 'mount' is 'perhaps', expected yes or no")]
    [InlineData("[hooks]\n[hooks]", "update.conf:14: section [hooks] appears twice")]
    public void Each_mistake_is_one_error_naming_file_line_and_key(string section, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => UpdaterConfig.Parse(Base + section + "\n", "update.conf"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}
