using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using Wuerstchen.Training;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Training.ReferenceSteps;

/// <summary>
/// Compares one training step of ours with a case of training.safetensors at the README's float32 tolerances and
/// keeps the worst measured error of each kind for the test output (<c>dotnet test --logger "console;verbosity=detailed"</c>):
/// <list type="bullet">
/// <item>scalars (losses): relative error;</item>
/// <item>tensors and gradients, per tensor T with M_T = max |reference|: |ours − ref| ≤ atol·M_T + rtol·|ref| per element,
/// reported as max |ours − ref| / M_T;</item>
/// <item>structurally-zero gradients (every attention <c>to_k.bias</c>, whose reference is torch round-off):
/// |ours| ≤ 1e-6·G with G the case's largest |gradient|, reported as max |ours| / G.</item>
/// </list>
/// </summary>
internal sealed class StepComparison(SafeTensorsFile vectors, string caseName, ITestOutputHelper output)
{
    /// <summary>The README's recommendation for a float32 implementation with the double r embedding.</summary>
    public const double GradAtol = 1e-4, GradRtol = 1e-4, ZeroGradBound = 1e-6;

    private readonly List<string> _lines = [];

    public SafeTensorsFile Vectors => vectors;

    /// <summary>The case's tensor <paramref name="name"/> (e.g. "x_t" → "prior_step.x_t"), owned by the caller.</summary>
    public Tensor Read(string name) => vectors.ReadTensor($"{caseName}.{name}");

    public float[] ReadValues(string name)
    {
        using var t = Read(name);
        return t.ToArray();
    }

    /// <summary>Relative error of a scalar; fails above <paramref name="rtol"/>.</summary>
    public double Scalar(string name, double actual, double rtol)
    {
        double expected = ReadValues(name)[0];
        double rel = Math.Abs(actual - expected) / Math.Abs(expected);
        _lines.Add($"{caseName}.{name}: {actual:R} vs {expected:R}, rel {rel:E2}");
        Assert.True(rel <= rtol, $"{caseName}.{name}: {actual:R}, expected {expected:R} (rel {rel:E2} > {rtol:E0}).");
        return rel;
    }

    /// <summary>Elementwise check against the case's tensor <paramref name="name"/> with atol relative to its max |value|.</summary>
    public double Values(string name, ReadOnlySpan<float> actual, double atolRelative, double rtol)
    {
        var expected = ReadValues(name);
        double worst = Close(expected, actual, atolRelative, rtol, $"{caseName}.{name}");
        _lines.Add($"{caseName}.{name}: max |diff| / M_T {worst:E2}");
        return worst;
    }

    /// <summary>
    /// Checks every gradient the case records under <paramref name="prefix"/> (".grad." or ".input_grad.") against the
    /// tensors' <see cref="Tensor.Grad"/>; every recorded name must be among <paramref name="tracked"/>.
    /// Returns the number of tensors compared.
    /// </summary>
    public int Gradients(IReadOnlyDictionary<string, Tensor> tracked, string prefix = "grad", double atolRelative = GradAtol, double rtol = GradRtol)
    {
        string keyPrefix = $"{caseName}.{prefix}.";
        var names = vectors.Keys.Where(k => k.StartsWith(keyPrefix, StringComparison.Ordinal)).Select(k => k[keyPrefix.Length..])
            .Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(names);
        var references = names.ToDictionary(n => n, n => ReadValues($"{prefix}.{n}"));
        double g = references.Values.Max(TrainingVectors.MaxAbs);
        double worst = 0, worstZero = 0;
        string worstName = "", worstZeroName = "";
        foreach (var name in names)
        {
            Assert.True(tracked.TryGetValue(name, out var tensor), $"{caseName}: the model has no tensor '{name}'.");
            var grad = tensor!.Grad;
            Assert.True(grad is not null, $"{caseName}: '{name}' got no gradient.");
            Assert.True(grad!.Shape.SequenceEqual(tensor.Shape), $"{caseName}: gradient of '{name}' is {grad}, the tensor is {tensor}.");
            var ours = grad.ToArray();
            if (IsStructurallyZero(name))
            {
                double m = TrainingVectors.MaxAbs(ours) / g;
                Assert.True(m <= ZeroGradBound, $"{caseName}.{prefix}.{name}: structurally zero, but max |gradient| is {m:E2}·G (> {ZeroGradBound:E0}·G).");
                if (m >= worstZero) { worstZero = m; worstZeroName = name; }
                continue;
            }
            double e = Close(references[name], ours, atolRelative, rtol, $"{caseName}.{prefix}.{name}");
            if (e >= worst) { worst = e; worstName = name; }
        }
        _lines.Add($"{caseName}.{prefix}.* ({names.Length} tensors): worst max |diff| / M_T {worst:E2} ({worstName}); G {g:E3}"
            + (worstZeroName.Length > 0 ? $"; structurally-zero max |ours| / G {worstZero:E2} ({worstZeroName})" : ""));
        return names.Length;
    }

    /// <summary>The attention key bias: adding q·b_k to a whole row of logits leaves the softmax unchanged.</summary>
    public static bool IsStructurallyZero(string name) => name.EndsWith("attention.to_k.bias", StringComparison.Ordinal);

    public void Note(string line) => _lines.Add($"{caseName}: {line}");

    /// <summary>Writes the measured figures to the test output.</summary>
    public void Report()
    {
        foreach (var line in _lines) output.WriteLine(line);
    }

    /// <summary>|a − e| ≤ atolRelative·M + rtol·|e| per element (M = max |e|); returns max |a − e| / M.</summary>
    private static double Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atolRelative, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double m = TrainingVectors.MaxAbs(expected.ToArray());
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(d <= atolRelative * m + rtol * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]}, expected {expected[i]} (|diff| {d:E2}, M_T {m:E2}, atol {atolRelative:E0}·M_T, rtol {rtol:E0}).");
            worst = Math.Max(worst, d);
        }
        return m == 0 ? worst : worst / m;
    }
}
