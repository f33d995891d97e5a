using Wuerstchen.Rng;

namespace Wuerstchen.Tests.Rng;

public class TorchGeneratorStateTests
{
    [Fact]
    public void RestoredState_ContinuesDrawForDraw_IncludingTheCachedNormal()
    {
        var g = new TorchGenerator(123);
        g.RandnFloat32(1000);
        g.RandnFloat32(3);                    // odd count on the serial path: leaves a cached normal
        var state = g.GetState();
        Assert.NotNull(state.CachedNormal);

        var expected = Draws(g);
        var fresh = new TorchGenerator(999);
        fresh.SetState(state);
        Assert.Equal(expected, Draws(fresh));
        Assert.Equal(123ul, fresh.InitialSeed);
    }

    [Fact]
    public void StateBytes_RoundTrip()
    {
        var g = new TorchGenerator(77);
        g.NextUInt32();
        g.RandnFloat32(1);
        var bytes = g.GetState().ToBytes();
        Assert.Equal(TorchGeneratorState.ByteLength, bytes.Length);

        var restored = new TorchGenerator(0);
        restored.SetState(TorchGeneratorState.FromBytes(bytes));
        Assert.Equal(Draws(g), Draws(restored));
    }

    [Fact]
    public void StateBytes_RejectCorruptInput()
    {
        var bytes = new TorchGenerator(1).GetState().ToBytes();
        Assert.Throws<InvalidDataException>(() => TorchGeneratorState.FromBytes(bytes.AsSpan(1)));
        var bad = (byte[])bytes.Clone();
        bad[0] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => TorchGeneratorState.FromBytes(bad));
        bad = (byte[])bytes.Clone();
        bad[16] = 0xFF;                       // engine position beyond 624
        Assert.Throws<InvalidDataException>(() => TorchGeneratorState.FromBytes(bad));
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var g = new TorchGenerator(5);
        g.RandnFloat32(7);
        var c = g.Clone();
        var fromClone = Draws(c);
        Assert.Equal(fromClone, Draws(g));
        Assert.NotEqual(fromClone, Draws(g)); // the original moved on
    }

    [Fact]
    public void ManualSeed_ClearsTheCachedNormal()
    {
        var g = new TorchGenerator(9);
        g.RandnFloat32(1);
        Assert.NotNull(g.GetState().CachedNormal);
        g.ManualSeed(9);
        Assert.Null(g.GetState().CachedNormal);
        Assert.Equal(new TorchGenerator(9).RandnFloat32(5), g.RandnFloat32(5));
    }

    private static float[] Draws(TorchGenerator g) => [.. g.RandnFloat32(1), .. g.RandnFloat32(40), .. g.RandnFloat32(5)];
}
