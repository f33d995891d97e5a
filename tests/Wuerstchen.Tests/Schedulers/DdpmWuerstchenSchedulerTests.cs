using System.Text.Json;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Schedulers;

/// <summary>Against vectors/scheduler.safetensors (torch float32 values bit for bit; double references at the README's 1e-5/1e-5).</summary>
public sealed class DdpmWuerstchenSchedulerTests : IDisposable
{
    private readonly SafeTensorsFile _ref = SafeTensorsFile.Open(Reference.Vectors("scheduler.safetensors"));
    private readonly DdpmWuerstchenScheduler _scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen", "scheduler"));

    public void Dispose() => _ref.Dispose();

    private float[] Read(string key)
    {
        using var t = _ref.ReadTensor(key);
        return t.ToArray();
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]:R}, torch float32 gives {expected[i]:R}.");
    }

    [Fact]
    public void AlphaCumprod_Float32_IsTorchsBitForBit()
    {
        var t = Read("alpha_cumprod.t");
        AssertBitwise(Read("alpha_cumprod.f32"), t.Select(_scheduler.AlphaCumprod).ToArray(), "alpha_cumprod.f32");
    }

    [Fact]
    public void AlphaCumprod_Float64_MatchesDiffusersWithADoubleT()
    {
        var t = Read("alpha_cumprod.t");
        // The reference is stored as float32: agreement to its rounding.
        TensorAssert.Close(Read("alpha_cumprod.f64"), t.Select(x => (float)_scheduler.AlphaCumprodFloat64(x)).ToArray(), 0, 6e-8, "alpha_cumprod.f64");
        // Pure double math with s = 0.008 differs only by the float32 s: ~1e-6 relative at most.
        TensorAssert.Close(Read("alpha_cumprod.exact_s0.008"), t.Select(x => (float)_scheduler.AlphaCumprodFloat64(x)).ToArray(), 1e-7, 2e-5, "exact");
    }

    [Fact]
    public void AlphaCumprod_MatchesTheSpecExamples()
    {
        (float t, float expected)[] examples = [(1f, 1e-4f), (0.9f, 0.0241f), (2f / 3, 0.2464f), (0.5f, 0.4938f), (0.1f, 0.9721f), (0f, 0.9999f)];
        foreach (var (t, expected) in examples) Assert.Equal(expected, _scheduler.AlphaCumprod(t), 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(60)]
    public void SetTimesteps_IsTorchLinspaceBitForBit(int n)
    {
        _scheduler.SetTimesteps(n);
        AssertBitwise(Read($"set_timesteps.n{n}"), [.. _scheduler.Timesteps], $"linspace n={n}");
    }

    [Fact]
    public void DefaultStageCTimesteps_AreThePythonListAndItsFloat32Tensor()
    {
        Assert.Equal(_ref.ReadFloat64("default_stage_c_timesteps.f64"), DdpmWuerstchenScheduler.DefaultStageCTimestepsFloat64);
        _scheduler.SetTimesteps(DdpmWuerstchenScheduler.DefaultStageCTimesteps);
        AssertBitwise(Read("set_timesteps.default_stage_c"), [.. _scheduler.Timesteps], "default stage C");
    }

    public static TheoryData<int> StepCases => [0, 1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(StepCases))]
    public void Step_ReproducesTorchFloat32AndTheDoubleReference(int k)
    {
        var seeds = StepSeeds();
        _scheduler.SetTimesteps(Read($"step{k}.timesteps"));
        var t = Read($"step{k}.t");
        Assert.Equal(Read($"step{k}.prev_t")[0], _scheduler.PreviousTimestep(t[0]));

        using var modelOutput = _ref.ReadTensor($"step{k}.model_output");
        using var sample = _ref.ReadTensor($"step{k}.sample");
        var generator = new TorchGenerator((ulong)seeds[k]);
        using var prev = _scheduler.Step(modelOutput, t, sample, generator);

        // The generator drew exactly the recorded noise, and nothing else.
        using var recordedNoise = _ref.ReadTensor($"step{k}.noise");
        var replay = new TorchGenerator((ulong)seeds[k]);
        AssertBitwise(recordedNoise.ToArray(), replay.RandnFloat32((int)recordedNoise.Numel), $"step{k} noise");
        Assert.Equal(replay.NextUInt32(), generator.NextUInt32());

        AssertBitwise(Read($"step{k}.prev_sample_torch_f32"), prev.ToArray(), $"step{k} prev_sample");
        using var expected = _ref.ReadTensor($"step{k}.prev_sample");
        TensorAssert.Close(expected, prev, 1e-5, 1e-5, $"step{k} prev_sample vs double reference");

        // With zero noise the step returns μ.
        using var zero = Tensor.Zeros(modelOutput.Shape);
        using var mu = _scheduler.Step(modelOutput, t, sample, zero);
        using var expectedMu = _ref.ReadTensor($"step{k}.mu");
        TensorAssert.Close(expectedMu, mu, 1e-5, 1e-5, $"step{k} mu");
    }

    private int[] StepSeeds()
    {
        using var doc = JsonDocument.Parse(_ref.Metadata["step_cases"]);
        return doc.RootElement.EnumerateArray().OrderBy(c => c.GetProperty("case").GetInt32())
            .Select(c => c.GetProperty("generator_seed").GetInt32()).ToArray();
    }

    [Fact]
    public void Step_LastStepDrawsNoiseButAddsNone()
    {
        _scheduler.SetTimesteps(2);
        using var x = new TorchGenerator(1).Randn(1, 2, 2, 4);
        using var eps = new TorchGenerator(2).Randn(1, 2, 2, 4);
        var g = new TorchGenerator(3);
        using var withGenerator = _scheduler.Step(eps, 0.5f, x, g);
        using var zero = Tensor.Zeros(1, 2, 2, 4);
        using var noNoise = _scheduler.Step(eps, [0.5f], x, zero);
        Assert.Equal(noNoise.ToArray(), withGenerator.ToArray());

        var expected = new TorchGenerator(3);
        expected.RandnFloat32(16);
        Assert.Equal(expected.NextUInt32(), g.NextUInt32());
    }

    [Fact]
    public void AddNoise_MatchesTheReference()
    {
        using var original = _ref.ReadTensor("add_noise.original");
        using var noise = _ref.ReadTensor("add_noise.noise");
        using var result = _scheduler.AddNoise(original, noise, Read("add_noise.t"));
        using var expected = _ref.ReadTensor("add_noise.result");
        TensorAssert.Close(expected, result, 1e-6, 1e-6, "add_noise");
    }

    [Fact]
    public void SetTimesteps_RejectsInvalidSchedules()
    {
        Assert.Throws<ArgumentException>(() => _scheduler.SetTimesteps(new[] { 1f, 0.5f }));          // does not end in 0
        Assert.Throws<ArgumentException>(() => _scheduler.SetTimesteps(new[] { 0.5f, 1f, 0f }));      // not descending
        Assert.Throws<ArgumentException>(() => _scheduler.SetTimesteps(new[] { 1f, 1f, 0f }));        // repeated
        Assert.Throws<ArgumentException>(() => _scheduler.SetTimesteps(new[] { 1.5f, 0f }));          // outside [0, 1]
        Assert.Throws<ArgumentException>(() => _scheduler.SetTimesteps(new[] { 0f }));                // too short
        Assert.Throws<ArgumentOutOfRangeException>(() => _scheduler.SetTimesteps(0));
        _scheduler.SetTimesteps(new[] { 1.0, 0.5, 0.0 });
        Assert.Equal([1f, 0.5f, 0f], _scheduler.Timesteps);
    }

    [Fact]
    public void Step_ValidatesItsInputs()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(2, 4);
        var fresh = new DdpmWuerstchenScheduler();
        Assert.Throws<InvalidOperationException>(() => fresh.Step(a, 1f, a, new TorchGenerator(0)));
        fresh.SetTimesteps(2);
        Assert.Throws<ArgumentException>(() => fresh.Step(a, 1f, b, new TorchGenerator(0)));
        Assert.Throws<ArgumentException>(() => fresh.Step(a, [1f, 1f, 1f], a, new TorchGenerator(0)));
        Assert.Throws<ArgumentException>(() => fresh.Step(a, 0f, a, new TorchGenerator(0))); // no step after t = 0
    }
}
