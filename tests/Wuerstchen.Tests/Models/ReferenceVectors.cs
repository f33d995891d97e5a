using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models;

/// <summary>
/// One vectors/*.safetensors file: reads inputs and compares a model's traced activations with the recorded
/// tensors of the same name, at per-name tolerances (vectors/README.md "Tolerances").
/// </summary>
internal sealed class ReferenceVectors : IDisposable
{
    private readonly SafeTensorsFile _file;
    private readonly Dictionary<string, (double Atol, double Rtol)> _tolerances = new(StringComparer.Ordinal);
    private readonly List<string> _compared = [];
    private readonly (double Atol, double Rtol) _default;

    public ReferenceVectors(string file, double atol, double rtol)
    {
        _file = SafeTensorsFile.Open(Reference.Vectors(file));
        _default = (atol, rtol);
    }

    /// <summary>Names compared so far by <see cref="Trace"/> or <see cref="AssertClose"/>.</summary>
    public IReadOnlyList<string> Compared => _compared;

    public ReferenceVectors Tolerance(string name, double atol, double rtol)
    {
        _tolerances[name] = (atol, rtol);
        return this;
    }

    public Tensor Read(string name) => _file.ReadTensor(name);

    public int[] ReadInts(string name) => _file.ReadInt64(name).Select(v => checked((int)v)).ToArray();

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    /// <summary>Compares every traced activation that the file records; others are ignored.</summary>
    public ActivationTrace Trace => (name, value) =>
    {
        if (_file.Contains(name)) AssertClose(name, value);
    };

    public void AssertClose(string name, Tensor actual)
    {
        using var expected = _file.ReadTensor(name);
        var (atol, rtol) = _tolerances.TryGetValue(name, out var t) ? t : _default;
        TensorAssert.Close(expected, actual, atol, rtol, name);
        _compared.Add(name);
    }

    /// <summary>Fails unless all of <paramref name="names"/> were compared.</summary>
    public void AssertCompared(params IEnumerable<string> names)
    {
        var missing = names.Except(_compared).ToList();
        Assert.True(missing.Count == 0, $"never compared: {string.Join(", ", missing)}");
    }

    public void Dispose() => _file.Dispose();
}
