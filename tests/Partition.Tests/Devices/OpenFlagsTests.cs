// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using Partition.Devices;

namespace Partition.Tests.Devices;

/// <summary>
/// The open(2) flags passed to libc directly. The arm64 end-to-end guest found O_DIRECT wrong there: the x86 value
/// is O_DIRECTORY on arm64, and every slot write failed with "Not a directory".
/// </summary>
public sealed class OpenFlagsTests
{
    [Theory]
    [InlineData(Architecture.X64, 0x4000)]
    [InlineData(Architecture.Arm64, 0x10000)]
    [InlineData(Architecture.Arm, 0x10000)]
    public void O_DIRECT_is_the_bit_of_the_architecture(Architecture architecture, int value) =>
        Assert.Equal(value, NativeMethods.ODirectFor(architecture));

    [Fact]
    public void This_process_uses_its_own_architecture_s_value() =>
        Assert.Equal(NativeMethods.ODirectFor(RuntimeInformation.ProcessArchitecture), NativeMethods.O_DIRECT);
}
