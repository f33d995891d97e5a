using System.CommandLine;
using System.Globalization;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen reconstruct IMAGE --vqgan DIR [-o out.png]</c> (Stage A round trip) or
/// <c>wuerstchen reconstruct IMAGE --effnet DIR --decoder DIR [-o out.png]</c> (image → semantic compressor →
/// Stage B → Stage A, the paper's reconstruction); prints the PSNR against the input.
/// </summary>
public static class ReconstructCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new EncodeDecodeInputs();
        var image = new Argument<string>("IMAGE") { Description = "The PNG to reconstruct." };
        var output = new Option<string>("--output", "-o") { Description = "PNG file for the reconstruction (only the PSNR is printed when omitted)." };
        var command = new Command("reconstruct",
            "Encode and decode an image and print the PSNR: through Stage A (--vqgan), or through the semantic compressor and Stage B (--effnet --decoder).")
        {
            image, inputs.Vqgan, inputs.Effnet, inputs.Decoder, output, inputs.Strength, inputs.Threads,
        };
        foreach (var option in inputs.DecoderOptions) command.Add(option);
        command.SetAction(parse =>
        {
            EncodeDecodeInputs.ApplyThreads(parse.GetValue(inputs.Threads));
            var options = inputs.DecodeOptions(parse, withStrength: true);
            return Run(context, parse.GetValue(image)!, parse.GetValue(inputs.Vqgan), parse.GetValue(inputs.Effnet), parse.GetValue(inputs.Decoder),
                parse.GetValue(output), options, parse.GetValue(inputs.Seed));
        });
        return command;
    }

    private static int Run(CliContext context, string imagePath, string? vqgan, string? effnet, string? decoder, string? output,
        SemanticDecodeOptions options, ulong? seed)
    {
        bool stageA = vqgan != null;
        if (stageA && (effnet != null || decoder != null))
            throw new CliUsageException("--vqgan", "give either --vqgan (Stage A round trip) or --effnet with --decoder (semantic reconstruction), not both.");
        if (!stageA && (effnet == null || decoder == null))
            throw new CliUsageException(effnet == null ? "--effnet" : "--decoder",
                "the semantic reconstruction needs both --effnet and --decoder (or give --vqgan for a Stage A round trip).");
        if (stageA && options.StartsFromImage)
            throw new CliUsageException("--strength", "applies to the semantic reconstruction (--effnet --decoder), not to a Stage A round trip.");
        if (output != null) EncodeDecodeInputs.RequireOutputFolder("--output", output);
        using var image = EncodeDecodeInputs.ReadImage("IMAGE", imagePath);
        using var reconstruction = stageA
            ? ThroughStageA(image, vqgan!)
            : SemanticReconstruction.Run(context, image, effnet!, decoder!, options with { NumImages = 1 }, seed);

        if (reconstruction.Shape.SequenceEqual(image.Shape))
        {
            double psnr = ImageQuality.Psnr(image, reconstruction);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PSNR {psnr:F2} dB"));
        }
        else
        {
            context.Output.WriteLine($"PSNR n/a: the reconstruction is {reconstruction.Size(3)}×{reconstruction.Size(2)}, the image {image.Size(3)}×{image.Size(2)}");
        }
        if (output != null)
        {
            ImageFiles.WritePngs(reconstruction, [output]);
            context.Output.WriteLine(output);
        }
        return CliApp.ExitSuccess;
    }

    private static Tensor ThroughStageA(Tensor image, string vqgan)
    {
        using var codec = EncodeDecodeInputs.LoadVqgan("--vqgan", vqgan);
        EncodeDecodeInputs.CheckSize("IMAGE", () => codec.CheckImageSize(image.Size(2), image.Size(3)));
        return codec.Reconstruct(image);
    }
}

/// <summary>The semantic route shared by <c>reconstruct</c> and <c>variation</c>: load both models, check sizes, run with progress.</summary>
internal static class SemanticReconstruction
{
    /// <summary>Images [N, 3, H', W'] decoded from the image's embedding (N = <see cref="SemanticDecodeOptions.NumImages"/>).</summary>
    public static Tensor Run(CliContext context, Tensor image, string effnetFolder, string decoderFolder, SemanticDecodeOptions options, ulong? seed)
    {
        if (options.Steps <= 0) throw new CliUsageException("--steps", $"must be positive, got {options.Steps}.");
        using var codec = EncodeDecodeInputs.LoadEffnet("--effnet", effnetFolder);
        using var decoder = EncodeDecodeInputs.LoadDecoder("--decoder", decoderFolder, codec.Model.Config.CLatent, $"the compressor in '{effnetFolder}'");
        EncodeDecodeInputs.CheckSize("IMAGE", () => codec.CheckDecodable(image.Size(2), image.Size(3), decoder.SizeRules()));
        using var stageA = options.StartsFromImage ? EncodeDecodeInputs.LoadVqgan("--decoder", decoderFolder) : null;
        if (stageA != null) EncodeDecodeInputs.CheckSize("IMAGE", () => stageA.CheckImageSize(image.Size(2), image.Size(3)));
        var generator = EncodeDecodeInputs.Generator(context, seed);
        using var result = new StageProgress(context).Run(callbacks =>
            codec.Reconstruct(decoder, image, options, generator, callbacks, context.Cancellation, stageA));
        return result.Images!.Clone();
    }
}
