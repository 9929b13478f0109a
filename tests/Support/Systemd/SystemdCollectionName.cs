// SPDX-License-Identifier: Apache-2.0
namespace TestSupport.Systemd;

/// <summary>
/// The name of the collection that shares one <see cref="SystemdContainerFixture"/>. xunit finds collection
/// definitions only in the test assembly itself, so each project that boots the container declares
/// <c>[CollectionDefinition(SystemdCollectionName.Value)]</c> on a class of its own; the name is kept here once.
/// </summary>
public static class SystemdCollectionName
{
    public const string Value = "systemd";
}
