using Wuerstchen.Autograd;
using Wuerstchen.Tensors;
using static Wuerstchen.Tests.Autograd.GradCheck;

namespace Wuerstchen.Tests.Autograd;

/// <summary>Backward of Cat, PixelShuffle/Unshuffle, Embedding and the Tensor views vs float64 finite differences.</summary>
public class ShapeGradTests
{
    [Fact]
    public void CatAlongMiddleDimWithAFrozenInput()
    {
        var rng = new System.Random(70);
        var a = Leaf(rng, [2, 1, 3]);
        var b = Leaf(rng, [2, 3, 3], requiresGrad: false);
        var c = Leaf(rng, [2, 2, 3]);
        Reference64 reference = v =>
        {
            var y = new double[2 * 6 * 3];
            for (int n = 0; n < 2; n++)
                for (int k = 0; k < 6; k++)
                    for (int j = 0; j < 3; j++)
                        y[(n * 6 + k) * 3 + j] = k < 1 ? v[0][(n * 1 + k) * 3 + j] : k < 4 ? v[1][(n * 3 + k - 1) * 3 + j] : v[2][(n * 2 + k - 4) * 3 + j];
            return y;
        };
        Check("Cat", [a, b, c], t =>
        {
            var y = Rounded(reference, t, 2, 6, 3);
            Recorder.Cat(y, t, 1);
            return y;
        }, reference);
    }

    internal static Reference64 ShuffleRef(int n, int c, int h, int w, int r, bool shuffle) => v =>
    {
        // PixelShuffle: out[c, h·r+i, w·r+j] = in[c·r² + i·r + j, h, w] (SPEC §2.1); Unshuffle is its inverse.
        var y = new double[n * c * r * r * h * w];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < r; j++)
                        for (int hh = 0; hh < h; hh++)
                            for (int ww = 0; ww < w; ww++)
                            {
                                int packed = ((b * c * r * r + ch * r * r + i * r + j) * h + hh) * w + ww;
                                int spread = ((b * c + ch) * h * r + hh * r + i) * w * r + ww * r + j;
                                if (shuffle) y[spread] = v[0][packed]; else y[packed] = v[0][spread];
                            }
        return y;
    };

    [Fact]
    public void PixelShuffleAndUnshuffle()
    {
        var rng = new System.Random(71);
        var x = Leaf(rng, [2, 8, 2, 3]);
        Check("PixelShuffle", [x], t =>
        {
            var y = Rounded(ShuffleRef(2, 2, 2, 3, 2, true), t, 2, 2, 4, 6);
            Recorder.PixelShuffle(y, t[0], 2);
            return y;
        }, ShuffleRef(2, 2, 2, 3, 2, true));
        var z = Leaf(rng, [1, 3, 6, 3]);
        Check("PixelUnshuffle", [z], t =>
        {
            var y = Rounded(ShuffleRef(1, 3, 2, 1, 3, false), t, 1, 27, 2, 1);
            Recorder.PixelUnshuffle(y, t[0], 3);
            return y;
        }, ShuffleRef(1, 3, 2, 1, 3, false));
    }

    [Fact]
    public void EmbeddingAccumulatesRepeatedIds()
    {
        var rng = new System.Random(72);
        var w = Leaf(rng, [5, 3]);
        int[] ids = [4, 0, 4, 2, 4, 1];
        Reference64 reference = v => ids.SelectMany(id => v[0].Skip(id * 3).Take(3)).ToArray();
        Check("Embedding", [w], t =>
        {
            var y = Rounded(reference, t, 2, 3, 3);
            Recorder.Embedding(y, t[0], ids);
            return y;
        }, reference);
    }

    // ------------------------------------------------------------------ views: the real Tensor view methods plus their hooks

    internal static Reference64 Gather(int[] shape, Func<int[], int> sourceIndex) => v =>
        Enumerable.Range(0, Numel(shape)).Select(i => v[0][sourceIndex(Unravel(i, shape))]).ToArray();

    [Fact]
    public void PermuteTransposeReshapeUnsqueeze()
    {
        var rng = new System.Random(73);
        var x = Leaf(rng, [2, 3, 4]);
        var st = Strides(2, 3, 4);
        Check("Permute", [x], t => { var y = t[0].Permute(2, 0, 1); Recorder.Permute(y, t[0], [2, 0, 1]); return y; },
            Gather([4, 2, 3], i => i[1] * st[0] + i[2] * st[1] + i[0] * st[2]));
        Check("Transpose", [x], t => { var y = t[0].Transpose(0, -1); Recorder.Permute(y, t[0], [2, 1, 0]); return y; },
            Gather([4, 3, 2], i => i[2] * st[0] + i[1] * st[1] + i[0] * st[2]));
        Check("Reshape", [x], t => { var y = t[0].Reshape(6, -1); Recorder.Reshape(y, t[0]); return y; }, v => v[0]);
        Check("Unsqueeze", [x], t => { var y = t[0].Unsqueeze(1); Recorder.Reshape(y, t[0]); return y; }, v => v[0]);
    }

    [Fact]
    public void ReshapeOfAStridedViewCopies()
    {
        var rng = new System.Random(74);
        using var b = Leaf(rng, [3, 4], requiresGrad: false);
        var x = b.Transpose(0, 1); // [4, 3] strided
        x.RequiresGrad = true;
        Check("Reshape strided", [x], t => { var y = t[0].Reshape(12); Recorder.Reshape(y, t[0]); return y; }, v => v[0]);
    }

    [Fact]
    public void NarrowChunkSelect()
    {
        var rng = new System.Random(75);
        var x = Leaf(rng, [3, 5, 2]);
        var st = Strides(3, 5, 2);
        Check("Narrow", [x], t => { var y = t[0].Narrow(1, 1, 3); Recorder.Narrow(y, t[0], 1, 1, 3); return y; },
            Gather([3, 3, 2], i => i[0] * st[0] + (i[1] + 1) * st[1] + i[2]));
        Check("Select", [x], t => { var y = t[0].Select(-2, -1); Recorder.Select(y, t[0], -2, -1); return y; },
            Gather([3, 2], i => i[0] * st[0] + 4 * st[1] + i[1]));
        // Chunk = Narrows: the second chunk of 2 along dim 1 is [2, 5).
        Check("Chunk", [x], t =>
        {
            var parts = t[0].Chunk(2, 1);
            var y = parts[1];
            Recorder.Narrow(y, t[0], 1, 3, 2);
            return y;
        }, Gather([3, 2, 2], i => i[0] * st[0] + (i[1] + 3) * st[1] + i[2]));
    }

    [Fact]
    public void ExpandAndCopy()
    {
        var rng = new System.Random(76);
        var x = Leaf(rng, [3, 1]);
        Check("Expand", [x], t => { var y = t[0].Expand(2, 3, 4); Recorder.Expand(y, t[0]); return y; },
            Gather([2, 3, 4], i => i[1]));
        var z = Leaf(rng, [2, 3]);
        Check("Clone", [z], t => { var y = t[0].Clone(); Recorder.Copy(y, t[0]); return y; }, v => v[0]);
    }

    [Fact]
    public void ContiguousOfAContiguousTensorRecordsNothing()
    {
        var x = Tensor.Zeros(2, 2); x.RequiresGrad = true;
        using var tape = Tape.Record();
        var y = x.Contiguous();
        Recorder.Copy(y, x);
        Assert.Same(x, y);
        Assert.Null(x.GradFn);
        Assert.Equal(0, tape.NodeCount);
    }
}
