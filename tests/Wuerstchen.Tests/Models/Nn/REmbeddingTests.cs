using System.Globalization;
using System.Text.RegularExpressions;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.Nn;

namespace Wuerstchen.Tests.Models.Nn;

public class REmbeddingTests
{
    /// <summary>The float32 bits torch uses for c_r = 64, as listed in vectors/README.md ("r embedding").</summary>
    private static uint[] ReleasedFrequencyBits()
    {
        string readme = File.ReadAllText(Reference.Vectors("README.md"));
        int section = readme.IndexOf("Float32 frequency vector torch uses for c_r = 64", StringComparison.Ordinal);
        Assert.True(section >= 0, "README section on the c_r = 64 frequencies not found");
        var bits = Regex.Matches(readme[section..], @"^(\d+): 0x([0-9A-F]{8}) =", RegexOptions.Multiline)
            .Take(32)
            .Select(m => (Index: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Bits: uint.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(Enumerable.Range(0, 32), bits.Select(b => b.Index));
        return bits.Select(b => b.Bits).ToArray();
    }

    [Fact]
    public void Frequencies_ReproduceTorchBitsForTheReleasedModels()
    {
        var expected = ReleasedFrequencyBits();
        var actual = REmbedding.Frequencies(64).Select(BitConverter.SingleToUInt32Bits).ToArray();
        Assert.Equal(expected, actual);
        // Elements 1, 22, 29 are where torch's SLEEF exp is not correctly rounded; make sure that is exercised.
        foreach (int i in new[] { 1, 22, 29 })
            Assert.NotEqual(expected[i], BitConverter.SingleToUInt32Bits((float)Math.Exp((double)(i * (float)(-Math.Log(10000) / 31)))));
    }

    [Theory]
    [InlineData("prior.safetensors")]
    [InlineData("decoder.safetensors")]
    public void Frequencies_ReproduceTorchBitsForTheTinyModels(string file)
    {
        using var v = SafeTensorsFile.Open(Reference.Vectors(file));
        using var expected = v.ReadTensor("r_freq");
        var actual = REmbedding.Frequencies(2 * expected.Size(0));
        Assert.Equal(expected.ToArray().Select(BitConverter.SingleToUInt32Bits), actual.Select(BitConverter.SingleToUInt32Bits));
    }

    [Theory]
    [InlineData("prior.safetensors")]
    [InlineData("decoder.safetensors")]
    public void Generate_MatchesTheDoubleReference(string file)
    {
        using var v = SafeTensorsFile.Open(Reference.Vectors(file));
        using var r = v.ReadTensor("r");
        using var expected = v.ReadTensor("r_embed");
        using var actual = REmbedding.Generate(r, expected.Size(1));
        TensorAssert.Close(expected, actual, 1e-6, 1e-6, "r_embed");
    }

    [Fact]
    public void Generate_PutsSinFirstAndPadsOddWidths()
    {
        using var r = Wuerstchen.Tensors.Tensor.FromArray([0.25f], 1);
        using var e = REmbedding.Generate(r, 9);
        var f = REmbedding.Frequencies(9);
        var values = e.ToArray();
        Assert.Equal(4, f.Length);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((float)Math.Sin(2500.0 * f[i]), values[i]);
            Assert.Equal((float)Math.Cos(2500.0 * f[i]), values[4 + i]);
        }
        Assert.Equal(0f, values[8]);
    }
}
