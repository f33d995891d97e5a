using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Objectives;

namespace Wuerstchen.Training.Trainers;

/// <summary>Stage A's reconstruction term.</summary>
public enum ReconstructionLoss { Mse, L1 }

/// <summary>
/// Stage A (the VQGAN) per SPEC §7.4, without the perceptual and adversarial terms (their weights are not published):
/// <code>
/// z = encoder(image)            (BatchNorm on batch statistics, updating its running statistics)
/// z_q = nearest codebook rows;  quantized = z + sg(z_q − z)        (straight-through)
/// loss = rec(decode(quantized), image) + mse(z_q, sg z) + β·mse(z, sg z_q),  rec = MSE or L1, β = 0.25
/// </code>
/// Codebook initialisation: before the first update, the codebook rows are set to encoder outputs of the first
/// batch picked at random (so every entry starts where the data is and none is dead from the start), unless
/// <see cref="InitCodebookFromData"/> is off (then the rows keep their U(−1/K, 1/K) initialisation).
/// The export is the <c>vqgan</c> component folder.
/// </summary>
public sealed class StageAObjective : ITrainingObjective
{
    private readonly TrainedComponent _vqgan;

    public PaellaVQModel VqGan { get; }
    public ReconstructionLoss Reconstruction { get; }
    public float CommitmentWeight { get; }
    public bool InitCodebookFromData { get; }

    /// <summary>Every N updates, codebook rows that no vector of the batch chose are re-seeded from the batch (0: never).</summary>
    public int CodebookRestartEvery { get; init; }

    public string Name => "stage-a";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of <paramref name="vqgan"/>.</summary>
    public StageAObjective(PaellaVQModel vqgan, ReconstructionLoss reconstruction = ReconstructionLoss.Mse, float commitmentWeight = 0.25f, bool initCodebookFromData = true)
    {
        VqGan = vqgan;
        Reconstruction = reconstruction;
        CommitmentWeight = commitmentWeight;
        InitCodebookFromData = initCodebookFromData;
        _vqgan = new TrainedComponent("vqgan", vqgan, ConfigJsonWriter.ToJson(vqgan.Config), ComponentFolder.DiffusersWeights, trained: true);
        Parameters = _vqgan.Parameters;
        Buffers = _vqgan.Buffers;
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        var images = batch.Images ?? throw new ArgumentException("Stage A trains on images; the batch holds cached latents.", nameof(batch));

        VqGan.Training = true;
        try
        {
            using var tape = Tape.Record();
            using var latents = VqGan.Encode(images);
            int[] indices;
            int restarted = 0;
            using (Tape.NoGrad())
            using (var detached = latents.Detach())
            {
                indices = Nearest(detached);
                bool init = context.Step == 0 && InitCodebookFromData;
                bool restart = !init && CodebookRestartEvery > 0 && context.Step % CodebookRestartEvery == 0;
                if (init || restart)
                {
                    restarted = ReseedRows(detached, indices, onlyUnused: !init, context.Draws);
                    indices = Nearest(detached);
                }
            }
            using var vq = VectorQuantizerLoss.Compute(latents, VqGan.Codebook, indices, CommitmentWeight);
            using var reconstruction = VqGan.Decode(vq.Quantized);
            using var rec = Reconstruction == ReconstructionLoss.L1 ? L1(reconstruction, images) : DiffusionLoss.Mse(reconstruction, images);
            using var loss = Ops.Add(rec, vq.Loss);
            tape.Backward(loss);
            return new StepResult(loss.Item(), new Dictionary<string, double>
            {
                ["loss_recon"] = rec.Item(),
                ["loss_codebook"] = vq.CodebookLoss.Item(),
                ["loss_commit"] = vq.CommitmentLoss.Item(),
                ["codebook_used"] = indices.Distinct().Count(),
                ["codebook_restarted"] = restarted,
            });
        }
        finally
        {
            VqGan.Training = false;
        }
    }

    private static Tensor L1(Tensor prediction, Tensor target)
    {
        using var diff = Ops.Sub(prediction, target);
        using var magnitude = Ops.Abs(diff);
        return Ops.Mean(magnitude, []);
    }

    private int[] Nearest(Tensor latents)
    {
        var (rows, nearest) = VqGan.Quantize(latents);
        rows.Dispose();
        return nearest;
    }

    // Rows ← encoder outputs of this batch picked at random: every row at the first step (so every entry starts where
    // the data is), and later only rows no vector of the batch chose (dead codes, which no gradient would ever move).
    // The encoder outputs are the training-mode ones (batch-statistics BatchNorm), the distribution the codebook serves.
    // Needs no state beyond the codebook itself, so resuming stays exact.
    private int ReseedRows(Tensor latents, int[] indices, bool onlyUnused, DiffusionTrainingDraws draws)
    {
        using var pixels = Ops.ToChannelsLast(latents);
        int d = VqGan.Config.LatentChannels, k = VqGan.Config.NumVqEmbeddings;
        var used = new bool[k];
        if (onlyUnused) foreach (int i in indices) used[i] = true;
        var vectors = pixels.AsSpan();
        long count = vectors.Length / d;
        var codebook = VqGan.Codebook.AsSpan();
        int reseeded = 0;
        for (int row = 0; row < k; row++)
        {
            if (used[row]) continue;
            long pick = (long)(draws.Generator.NextDouble() * count);
            vectors.Slice((int)(pick * d), d).CopyTo(codebook.Slice(row * d, d));
            reseeded++;
        }
        if (reseeded > 0) Recorder.WroteInPlace(VqGan.Codebook);
        return reseeded;
    }

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype) =>
        _vqgan.Folder(weightOf).Write(folder, dtype);

    public void Dispose() => VqGan.Dispose();
}
