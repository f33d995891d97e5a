using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>
/// The random draws of a diffusion training step (SPEC §7.1, §7.2, §7.5), all from one seeded torch CPU generator
/// so a run is reproducible from its seed and resumable from <see cref="GetState"/>: time steps, noise, caption dropout.
/// Draw order per step is the caller's (the authors' script: caption dropout, t, then ε).
/// </summary>
public sealed class DiffusionTrainingDraws
{
    public TorchGenerator Generator { get; }

    public DiffusionTrainingDraws(ulong seed) => Generator = new TorchGenerator(seed);

    /// <summary>
    /// The authors' Stage C sampler: t = clamp((1 − u)·1.08 + 0.001, 0.001, 1), u = torch.rand(batch), in float32 as the
    /// script computes it; about 7.5 % of the samples land exactly on t = 1.
    /// </summary>
    public float[] AuthorsTimesteps(int batch)
    {
        var t = new float[batch];
        Generator.RandInto(t);
        for (int i = 0; i < batch; i++) t[i] = Math.Clamp((1f - t[i]) * 1.08f + 0.001f, 0.001f, 1.0f);
        return t;
    }

    /// <summary>diffusers' fine-tuning sampler: t = torch.rand(batch), uniform in [0, 1).</summary>
    public float[] UniformTimesteps(int batch)
    {
        var t = new float[batch];
        Generator.RandInto(t);
        return t;
    }

    /// <summary>ε ~ N(0, I) of the given shape (torch.randn).</summary>
    public Tensor Noise(params int[] shape) => Generator.Randn(shape);

    /// <summary>
    /// Per-batch caption dropout with probability <paramref name="p"/> (0.05 in the authors' script: all captions of the
    /// batch become ""). The script draws this from numpy's global stream, which is not reproduced; here it is one
    /// 53-bit uniform from the run's generator.
    /// </summary>
    public bool DropCaptions(double p = 0.05) => Generator.NextDouble() < p;

    /// <summary>
    /// The P2 loss weight with k = γ = 1, (1 + ᾱ/(1 − ᾱ))⁻¹ (= 1 − ᾱ), in float32 in Diffuzz.p2_weight's operation order.
    /// </summary>
    public static float P2Weight(float alphaCumprod) => 1f / (1f + alphaCumprod / (1f - alphaCumprod));

    public TorchGeneratorState GetState() => Generator.GetState();

    public void SetState(TorchGeneratorState state) => Generator.SetState(state);

    /// <summary>The generator state as checkpoint metadata (<c>rng</c>, base64 of <see cref="TorchGeneratorState.ToBytes"/>).</summary>
    public TrainingState StateDict()
    {
        var state = new TrainingState();
        state.Metadata["rng"] = Convert.ToBase64String(GetState().ToBytes());
        return state;
    }

    /// <summary>Restores <see cref="StateDict"/>.</summary>
    public void LoadStateDict(TrainingState state)
    {
        if (!state.Metadata.TryGetValue("rng", out var encoded))
            throw new KeyNotFoundException($"{nameof(DiffusionTrainingDraws)}: the state has no metadata 'rng'.");
        SetState(TorchGeneratorState.FromBytes(Convert.FromBase64String(encoded)));
    }
}
