using System.CommandLine;
using Wuerstchen.Models;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen encode IMAGE (--vqgan DIR | --effnet DIR) -o latent.safetensors</c>: an image's Stage B latent
/// (Stage A encoder, <c>encode / scale_factor</c>) or Stage C latent (semantic compressor, <c>(mapper + latent_std) / latent_mean</c>, 42 and 1 unless given).
/// </summary>
public static class EncodeCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new EncodeDecodeInputs();
        var image = new Argument<string>("IMAGE") { Description = "The PNG to encode (grey and alpha are converted to RGB)." };
        var output = new Option<string>("--output", "-o") { Description = "The safetensors file to write (tensor 'latents').", Required = true };
        var command = new Command("encode", "Encode an image into a latent: Stage A's (--vqgan) or Stage C's semantic latent (--effnet).")
        {
            image, inputs.Vqgan, inputs.Effnet, output, inputs.LatentMean, inputs.LatentStd, inputs.Threads,
        };
        command.SetAction(parse =>
        {
            EncodeDecodeInputs.ApplyThreads(parse.GetValue(inputs.Threads));
            return Run(context, parse.GetValue(image)!, parse.GetValue(inputs.Vqgan), parse.GetValue(inputs.Effnet), parse.GetValue(output)!,
                inputs.LatentScale(parse));
        });
        return command;
    }

    private static int Run(CliContext context, string imagePath, string? vqgan, string? effnet, string output, StageCLatentScale scale)
    {
        if ((vqgan == null) == (effnet == null))
            throw new CliUsageException("--vqgan/--effnet", "give exactly one: --vqgan for a Stage A (Stage B) latent, --effnet for a Stage C latent.");
        EncodeDecodeInputs.RequireOutputFolder("--output", output);
        using var image = EncodeDecodeInputs.ReadImage("IMAGE", imagePath);
        var metadata = new Dictionary<string, string> { ["source_image"] = Path.GetFileName(imagePath) };
        Tensor latents;
        LatentSpace space;
        if (vqgan != null)
        {
            using var codec = EncodeDecodeInputs.LoadVqgan("--vqgan", vqgan);
            EncodeDecodeInputs.CheckSize("IMAGE", () => codec.CheckImageSize(image.Size(2), image.Size(3)));
            latents = codec.Encode(image);
            space = LatentSpace.StageB;
            metadata["scale_factor"] = codec.Model.Config.ScaleFactor.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            using var codec = EncodeDecodeInputs.LoadEffnet("--effnet", effnet!);
            latents = EncodeDecodeInputs.Checked("IMAGE", () => codec.EncodeStageC(image, scale));
            space = LatentSpace.StageC;
            metadata["effnet"] = codec.Model.Config.Effnet;
            metadata["latent_mean"] = scale.Mean.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            metadata["latent_std"] = scale.Std.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        using (latents)
        {
            LatentFile.Save(output, latents, space, metadata);
            context.Output.WriteLine($"{output}: {LatentFile.SpaceName(space)} latents [{string.Join(", ", latents.Shape.ToArray())}]");
        }
        return CliApp.ExitSuccess;
    }
}
