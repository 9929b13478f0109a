// SPDX-License-Identifier: Apache-2.0
namespace Partition.Tests.Support;

/// <summary>Raised where a <see cref="PowerCutWriter"/> stopped a write.</summary>
public sealed class PowerCutException() : Exception("simulated power cut");
