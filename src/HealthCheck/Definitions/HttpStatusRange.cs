// SPDX-License-Identifier: Apache-2.0
namespace HealthCheck.Definitions;

/// <summary>The HTTP status codes an HTTP check accepts, both ends included.</summary>
public readonly record struct HttpStatusRange(int Min, int Max)
{
    /// <summary>Any 2xx answer: what "the endpoint answers" means unless a check says otherwise.</summary>
    public static HttpStatusRange Success { get; } = new(200, 299);

    public bool Contains(int status) => status >= Min && status <= Max;

    public override string ToString() => Min == Max ? Min.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Min}-{Max}";
}
