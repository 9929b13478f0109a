// SPDX-License-Identifier: Apache-2.0
namespace TestSupport;

/// <summary>The theory form of <see cref="RootFactAttribute"/>, with the same skip rule.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        Skip = HostRequirements.RootMissing();
    }
}
