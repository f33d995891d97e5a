using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.IO.Png;

public class PngFiltersTests
{
    /// <summary>The PaethPredictor function exactly as the PNG specification (section 9.4) writes it.</summary>
    private static int SpecPaeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a);
        int pb = Math.Abs(p - b);
        int pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        else if (pb <= pc) return b;
        else return c;
    }

    [Fact]
    public void Paeth_MatchesTheSpecification_ForEveryInput()
    {
        for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++)
        for (int c = 0; c < 256; c++)
        {
            if (PngFilters.Paeth((byte)a, (byte)b, (byte)c) != SpecPaeth(a, b, c))
                Assert.Fail($"Paeth({a}, {b}, {c}) = {PngFilters.Paeth((byte)a, (byte)b, (byte)c)}, spec says {SpecPaeth(a, b, c)}");
        }
    }

    [Fact]
    public void Unfilter_InvertsApply_ForEveryFilterAndStride()
    {
        var rng = new System.Random(11);
        foreach (var stride in new[] { 1, 2, 3, 4, 6, 8 })
        foreach (var filter in Enum.GetValues<PngFilter>())
        {
            for (int length = 0; length <= 3 * stride + 1; length++)
            {
                var row = new byte[length];
                var previous = new byte[length];
                rng.NextBytes(row);
                rng.NextBytes(previous);
                var filtered = new byte[length];
                PngFilters.Apply(filter, row, previous, stride, filtered);
                PngFilters.Unfilter(filter, filtered, previous, stride);
                Assert.Equal(row, filtered);
            }
        }
    }

    [Fact]
    public void Apply_FollowsTheSpecificationFormulas()
    {
        byte[] row = [10, 200, 30, 40, 250, 60];
        byte[] up = [5, 100, 255, 0, 7, 90];
        var output = new byte[6];
        const int stride = 2;
        PngFilters.Apply(PngFilter.Sub, row, up, stride, output);
        Assert.Equal([10, 200, 20, 96, 220, 20], output);
        PngFilters.Apply(PngFilter.Up, row, up, stride, output);
        Assert.Equal([5, 100, 31, 40, 243, 226], output);
        PngFilters.Apply(PngFilter.Average, row, up, stride, output);
        Assert.Equal([8, 150, 154, 196, 232, 251], output); // x − ⌊(a + b)/2⌋ mod 256
        PngFilters.Apply(PngFilter.Paeth, row, up, stride, output);
        for (int i = 0; i < 6; i++)
        {
            int a = i >= stride ? row[i - stride] : 0, c = i >= stride ? up[i - stride] : 0;
            Assert.Equal((byte)(row[i] - SpecPaeth(a, up[i], c)), output[i]);
        }
    }
}
