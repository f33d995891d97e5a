using System.Globalization;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Lora;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// LoRA on Stage C (SPEC §7.5, <c>train_text_to_image_lora_prior.py</c>): rank-r adapters on the prior's attention
/// projections (to_q, to_k, to_v, to_out.0; A Kaiming-uniform, B = 0), the prior and text encoder frozen, and the
/// Stage C step of <see cref="StageCObjective"/> (the diffusers recipe by default, as the script). The export is
/// <c>pytorch_lora_weights.safetensors</c> with PEFT keys (<c>prior.&lt;module&gt;.lora_A.weight</c>), which
/// <c>generate --lora</c> and diffusers' <c>load_lora_weights</c> read.
/// </summary>
public sealed class LoraObjective : ITrainingObjective
{
    public const string FileName = "pytorch_lora_weights.safetensors";

    private readonly StageCObjective _stage;

    public LoraNetwork Network { get; }

    public string Name => "lora";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers => [];

    /// <summary>Attaches fresh adapters (seeded by <paramref name="seed"/>) to <paramref name="prior"/>; takes ownership of the models.</summary>
    public LoraObjective(WuerstchenPrior prior, TextConditioning text, ISemanticCompressor compressor, int rank, float? alpha, ulong seed,
        DiffusionRecipe recipe = DiffusionRecipe.Diffusers, double captionDropout = 0.05, StageCLatentScale? latentScale = null)
    {
        if (text.Train) throw new ArgumentException("LoRA training keeps the text encoder frozen.", nameof(text));
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), rank, "The LoRA rank must be at least 1.");
        _stage = new StageCObjective(prior, text, compressor, recipe, captionDropout, trainPrior: false)
        {
            LatentScale = latentScale ?? StageCLatentScale.Released,
        };
        Network = PriorLora.Attach(prior, rank, alpha ?? rank, new TorchGenerator(seed)); // α defaults to the rank, as in the script
        Parameters = Network.NamedParameters().ToArray();
    }

    public StepResult Step(CaptionBatch batch, StepContext context) => _stage.Step(batch, context);

    /// <inheritdoc cref="StageCObjective.CacheEncoder"/>
    public LatentEncoder CacheEncoder(string compressorIdentity) => _stage.CacheEncoder(compressorIdentity);

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        // Same layout as LoraNetwork.Save, with the EMA average where it is on; adapters stay F32 (they are small).
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["lora_rank"] = Network.Rank.ToString(CultureInfo.InvariantCulture),
            ["lora_alpha"] = Network.Alpha.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorsWriter.Save(Path.Combine(folder, FileName), Parameters.Select(p => new KeyValuePair<string, Tensor>(p.Name, weightOf(p))), metadata);
    }

    public void Dispose()
    {
        Network.Dispose();
        _stage.Dispose();
    }
}
