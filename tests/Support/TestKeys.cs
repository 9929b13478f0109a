// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>
/// The test-only signing key of fixtures/keys, made once by `updater keygen` and named so that nobody ships it.
/// Tests that only need some trusted key use it; tests about fresh or rotated keys still generate their own.
/// </summary>
public static class TestKeys
{
    public static string PrivateKeyPath => RepositoryPaths.Fixture("keys/TEST-ONLY-DO-NOT-SHIP.key");

    public static string PublicKeyPath => RepositoryPaths.Fixture("keys/TEST-ONLY-DO-NOT-SHIP.pub.pem");

    /// <summary>Trust root version 1 naming that key for every role, threshold 1 (fixtures/README.md).</summary>
    public static string RootPath => RepositoryPaths.Fixture("keys/TEST-ONLY-DO-NOT-SHIP.root.json");
}
