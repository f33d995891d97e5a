using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Models;
using Wuerstchen.Training.Objectives;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Wuerstchen.Tests.Training.ReferenceSteps;

/// <summary>
/// One Stage A step on the tiny VQGAN against training.safetensors "vq_step" (BatchNorm with running statistics):
/// latents, nearest codes (exact), z_q, the straight-through reconstruction, the three loss terms and the gradient of
/// every VQGAN parameter (the codebook's only in the rows used).
/// </summary>
public class VqStepTests(ITestOutputHelper output)
{
    [Fact]
    public void StraightThroughStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "vq_step", output);
        using var step = VqStep.Run(cmp, train: false);
        step.CheckForward(cmp);
        Assert.Equal(49, cmp.Gradients(step.Parameters));
        cmp.Report();
    }

    /// <summary>
    /// "vq_step_bntrain": the same step with the model in train mode — the encoder's BatchNorm normalises with the batch
    /// statistics (its input gradient gains the two batch-statistics terms) and updates its running statistics.
    /// </summary>
    [Fact]
    public void TrainModeBatchNormStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "vq_step_bntrain", output);
        using var step = VqStep.Run(cmp, train: true);
        step.CheckForward(cmp);
        var state = step.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        cmp.Values("down_blocks.3.1.running_mean_after", state["down_blocks.3.1.running_mean"].ToArray(), 1e-6, 1e-5);
        cmp.Values("down_blocks.3.1.running_var_after", state["down_blocks.3.1.running_var"].ToArray(), 1e-6, 1e-5);
        Assert.Equal(19, cmp.Gradients(step.Parameters));
        cmp.Report();
    }

    /// <summary>The comparison can fail: the eval-mode step (running statistics) misses the train-mode reference.</summary>
    [Fact]
    public void EvalModeBatchNormMissesTheTrainModeReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "vq_step_bntrain", output);
        using var step = VqStep.Run(cmp, train: false);
        Assert.ThrowsAny<XunitException>(() => cmp.Gradients(step.Parameters));
    }

    /// <summary>The comparison can fail: without the commitment term the encoder gradients miss the reference.</summary>
    [Fact]
    public void DroppingTheCommitmentTermIsDetected()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "vq_step", output);
        using var step = VqStep.Run(cmp, train: false, beta: 0f);
        Assert.ThrowsAny<XunitException>(() => cmp.Gradients(step.Parameters));
    }
}

/// <summary>The tiny VQGAN (writable, all parameters requiring grad) run through <see cref="VqganLoss"/> and backward on a case's image.</summary>
internal sealed class VqStep : IDisposable
{
    private readonly PaellaVQModel _vq;
    private readonly Tensor _image;

    public VqganLoss Loss { get; }
    public Dictionary<string, Tensor> Parameters { get; }

    private VqStep(PaellaVQModel vq, Tensor image, VqganLoss loss)
    {
        _vq = vq; _image = image; Loss = loss;
        Parameters = vq.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
    }

    public PaellaVQModel Model => _vq;

    public static VqStep Run(StepComparison cmp, bool train, float beta = 0.25f)
    {
        var vq = PaellaVQModel.FromPretrained(ModelFolders.TinyVqgan, writable: true);
        vq.Training = train;
        foreach (var p in vq.NamedParameters()) p.Value.RequiresGrad = true;
        var image = cmp.Vectors.ReadTensor("vq_step.image"); // both VQ cases encode the same image
        VqganLoss loss;
        using (var tape = Tape.Record())
        {
            loss = VqganLoss.Compute(vq, image, beta);
            tape.Backward(loss.Loss);
        }
        return new VqStep(vq, image, loss);
    }

    /// <summary>Latents, indices (exact), z_q, reconstruction and the loss terms.</summary>
    public void CheckForward(StepComparison cmp)
    {
        cmp.Values("latents", Loss.Latents.ToArray(), 1e-5, 1e-5);
        var expected = cmp.ReadValues("indices").Select(v => (int)v).ToArray();
        Assert.Equal(expected, Loss.Quantizer.Indices);
        cmp.Note($"indices: {expected.Length} identical");
        cmp.Values("z_q", Loss.Quantizer.CodebookRows.ToArray(), 0, 0);
        cmp.Values("recon", Loss.Reconstruction.ToArray(), 1e-5, 1e-5);
        cmp.Scalar("loss_recon", Loss.ReconstructionLoss.Item(), 1e-5);
        cmp.Scalar("loss_codebook", Loss.Quantizer.CodebookLoss.Item(), 1e-5);
        cmp.Scalar("loss_commit", Loss.Quantizer.CommitmentLoss.Item(), 1e-5);
        cmp.Scalar("loss", Loss.Loss.Item(), 1e-5);
    }

    public void Dispose()
    {
        foreach (var p in Parameters.Values) { p.Grad?.Dispose(); p.Grad = null; }
        Loss.Dispose();
        _image.Dispose();
        _vq.Dispose();
    }
}
