using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>
/// Named tensors plus string metadata: the resumable state of an optimiser or an EMA, laid out like a
/// safetensors file (tensor keys such as <c>exp_avg.blocks.0.depthwise.weight</c>, scalars such as step counts in
/// <see cref="Metadata"/>). The state owns its tensors (copies), so it stays valid while training continues.
/// States of several components (optimiser, EMA, random draws) combine with <see cref="Add"/> into one checkpoint file.
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

    /// <summary>Moves every entry of <paramref name="other"/> into this state (keys must not collide); returns this.</summary>
    public TrainingState Add(TrainingState other)
    {
        foreach (var key in other.Tensors.Keys.Concat(other.Metadata.Keys))
            if (Tensors.ContainsKey(key) || Metadata.ContainsKey(key))
                throw new ArgumentException($"TrainingState.Add: key '{key}' is in both states.");
        foreach (var (k, t) in other.Tensors) Tensors[k] = t;
        foreach (var (k, v) in other.Metadata) Metadata[k] = v;
        other.Tensors.Clear();
        return this;
    }

    /// <summary>Writes the state as one safetensors file (F32 tensors, metadata in the header), atomically.</summary>
    public void Save(string path)
    {
        var writer = new SafeTensorsWriter();
        foreach (var (k, t) in Tensors) writer.Add(k, t);
        foreach (var (k, v) in Metadata) writer.Metadata[k] = v;
        writer.Save(path);
    }

    /// <summary>Reads a state written by <see cref="Save"/> (tensors are copied out of the file).</summary>
    public static TrainingState Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var state = new TrainingState();
        foreach (var (k, v) in file.Metadata) state.Metadata[k] = v;
        foreach (var k in file.Keys) state.Tensors[k] = file.ReadTensor(k);
        return state;
    }

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}
