using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>
/// Named tensors plus string metadata: the resumable state of an optimiser or an EMA, laid out like a
/// safetensors file (tensor keys such as <c>exp_avg.blocks.0.depthwise.weight</c>, scalars such as step counts in
/// <see cref="Metadata"/>). The state owns its tensors (copies), so it stays valid while training continues.
/// </summary>
public sealed class TrainingState : IDisposable
{
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Tensor <paramref name="key"/>, or an error naming the key and what <paramref name="owner"/> needed it for.</summary>
    public Tensor Get(string key, string owner) =>
        Tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{owner}: the state has no tensor '{key}'.");

    /// <summary>Metadata <paramref name="key"/> as a long, or an error naming it.</summary>
    public long GetLong(string key, string owner)
    {
        if (!Metadata.TryGetValue(key, out var s)) throw new KeyNotFoundException($"{owner}: the state has no metadata '{key}'.");
        return long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v : throw new FormatException($"{owner}: metadata '{key}' = '{s}' is not an integer.");
    }

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}
