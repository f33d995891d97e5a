using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Objectives;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// Pre-trains a semantic compressor from scratch, for models trained on data of their own where no ImageNet
/// EfficientNet fits (the default model): the compressor and a <see cref="LatentReconstructionHead"/> learn to
/// reconstruct the frozen Stage A latent through the compressor's 16-channel bottleneck.
/// <code>
/// x0   = vqgan.encode(images) / scale_factor                    (frozen Stage A, un-quantised latents)
/// e    = compressor(images)                                     (BatchNorm on batch statistics)
/// loss = mse(head(e, size of x0), x0)
/// </code>
/// Stage B and Stage C then train against the frozen result (<c>--effnet DIR --freeze-effnet</c>). The export is
/// <c>effnet/</c> (always F32: Stage C's latents are defined by it) and <c>effnet_head/</c>, kept for inspection.
/// </summary>
public sealed class SemanticCompressorObjective : ITrainingObjective
{
    public const string HeadFolder = "effnet_head";

    private readonly TrainedComponent _effnet, _head;
    private readonly ISemanticCompressor _compressor;

    public PaellaVQModel VqGan { get; }
    public LatentReconstructionHead Head { get; }
    public ISemanticCompressor Compressor => _compressor;

    public string Name => "effnet";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of the models.</summary>
    public SemanticCompressorObjective(ISemanticCompressor compressor, LatentReconstructionHead head, PaellaVQModel vqgan)
    {
        if (head.InChannels != compressor.LatentChannels)
            throw new ArgumentException($"The head reads {head.InChannels} channels, the compressor gives {compressor.LatentChannels}.", nameof(head));
        if (head.OutChannels != vqgan.Config.LatentChannels)
            throw new ArgumentException($"The head writes {head.OutChannels} channels, Stage A's latent has {vqgan.Config.LatentChannels}.", nameof(head));
        _compressor = compressor;
        Head = head;
        VqGan = vqgan;
        _effnet = new TrainedComponent("effnet", compressor.Module, compressor.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        _head = new TrainedComponent(HeadFolder, head, head.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        Parameters = [.. _effnet.Parameters, .. _head.Parameters];
        Buffers = [.. _effnet.Buffers, .. _head.Buffers];
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        var images = batch.Images ?? throw new ArgumentException("The semantic compressor trains on images; the batch holds cached latents.", nameof(batch));
        using var x0 = FrozenStageA.Latents(VqGan, images);
        using (var tape = Tape.Record())
        {
            using var features = _compressor.Encode(images, training: true);
            using var reconstruction = Head.Forward(features, x0.Size(2), x0.Size(3));
            using var loss = DiffusionLoss.Mse(reconstruction, x0);
            tape.Backward(loss);
            return new StepResult(loss.Item(), new Dictionary<string, double> { ["latent_var"] = Variance(x0) });
        }
    }

    // The target's variance: the loss relative to it is the share of the latent the features fail to explain.
    private static double Variance(Tensor x)
    {
        var v = x.AsSpan();
        double sum = 0, sq = 0;
        foreach (float f in v) { sum += f; sq += (double)f * f; }
        double mean = sum / v.Length;
        return sq / v.Length - mean * mean;
    }

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        _effnet.Folder(weightOf).Write(folder);
        _head.Folder(weightOf).Write(folder);
    }

    public void Dispose()
    {
        _compressor.Dispose();
        Head.Dispose();
        VqGan.Dispose();
    }
}
