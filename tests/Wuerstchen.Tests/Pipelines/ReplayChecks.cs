using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>Copies of the tensors a pipeline showed through <see cref="PipelineCallbacks.Inspect"/>, by name.</summary>
internal sealed class TensorLog : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    public PipelineCallbacks Callbacks => new() { Inspect = (name, t) => { Assert.False(_tensors.ContainsKey(name), $"{name} shown twice"); _tensors[name] = t.Clone(); } };

    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"The pipeline never showed '{name}'.");

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
    }
}

/// <summary>Comparisons of a replayed run with its recording.</summary>
internal static class ReplayChecks
{
    /// <summary>
    /// Loop tensors are computed in float32 from the same inputs as the float64 reference, so they differ by float32
    /// rounding, amplified by the first steps' 1/√α (up to ~38): relative 1e-5 of the tensor's scale is ample and
    /// still far below any real mistake (a wrong noise draw or guidance order changes values by O(1)).
    /// </summary>
    public const double LoopRtol = 1e-5;

    public static void Exact(PipelineRun run, TensorLog log, string recorded, string? shown = null)
    {
        using var expected = run.Read(recorded);
        TensorAssert.Close(expected, log[shown ?? recorded], 0, 0, $"{run.Name}: {recorded}");
    }

    public static void Close(PipelineRun run, TensorLog log, string recorded, string? shown = null, double rtol = LoopRtol)
    {
        using var expected = run.Read(recorded);
        double scale = expected.ToArray().Max(v => Math.Abs((double)v));
        TensorAssert.Close(expected, log[shown ?? recorded], rtol * scale, rtol, $"{run.Name}: {recorded}");
    }

    /// <summary>Checks the conditioning, initial latents and every step of one stage (keys prefixed <paramref name="prefix"/>).</summary>
    public static void Stage(PipelineRun run, TensorLog log, string prefix, int steps, bool effnetIsInput = true)
    {
        Exact(run, log, $"{prefix}text_encoder_hidden_states");
        if (run.Has($"{prefix}effnet"))
        {
            if (effnetIsInput) Exact(run, log, $"{prefix}effnet");
            else Close(run, log, $"{prefix}effnet");
        }
        Exact(run, log, $"{prefix}initial_latents");
        Assert.False(log.Contains($"{prefix}step{steps}.t"), "the loop ran too many steps");
        for (int i = 0; i < steps; i++)
        {
            Exact(run, log, $"{prefix}step{i}.t");
            Exact(run, log, $"{prefix}step{i}.model_output_raw");
            Exact(run, log, $"{prefix}step{i}.noise");
            Close(run, log, $"{prefix}step{i}.model_input");
            Close(run, log, $"{prefix}step{i}.model_output_guided");
            Close(run, log, $"{prefix}step{i}.latents");
        }
    }

    /// <summary>
    /// Redraws the recorded noise from a fresh generator in SPEC §5.5 order — the initial latents unless they were
    /// given, then one draw per step of the step's shape — bit for bit, and returns that generator so its final state
    /// can be compared with the pipeline's (which proves the pipeline drew exactly this sequence).
    /// </summary>
    public static void Noise(PipelineRun run, TorchGenerator reference, string prefix, int steps, bool initialGiven)
    {
        if (!initialGiven) DrawExactly(run, reference, $"{prefix}initial_latents");
        for (int i = 0; i < steps; i++) DrawExactly(run, reference, $"{prefix}step{i}.noise");
    }

    private static void DrawExactly(PipelineRun run, TorchGenerator generator, string key)
    {
        using var expected = run.Read(key);
        using var drawn = generator.Randn(expected.Shape);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(drawn.ToArray()), $"{run.Name}: {key} is not what the generator draws next");
    }

    /// <summary>The two generators are in the same state: same engine words, position and cached normal.</summary>
    public static void SameState(TorchGenerator expected, TorchGenerator actual, string what) =>
        Assert.True(expected.GetState().ToBytes().AsSpan().SequenceEqual(actual.GetState().ToBytes()), $"{what}: the pipeline drew a different random sequence");

    public static int Steps(PipelineRun run, string prefix)
    {
        int steps = 0;
        while (run.Has($"{prefix}step{steps}.t")) steps++;
        return steps;
    }
}
